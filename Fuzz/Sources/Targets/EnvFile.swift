import SentientSnap

/// The room's env file (KEY=VALUE, quotes, export, comments).
let envFileTarget = FuzzTarget(name: "env-file", maxLen: 16 << 10) { bytes in
    _ = EnvFile(path: "room.env", text: String(decoding: bytes, as: UTF8.self))
}
