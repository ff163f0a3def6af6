import ArchiveWriter
import Foundation
import RoomWires
import SentientSnap
import TestHarness
import Testing

/// 1,000 retained messages: deep, spaced, accented and emoji topics (including a pair that is
/// canonically equivalent but byte-different), binary payloads and three of 256-300 KiB.
func sampleRetained() -> [(topic: String, payload: [UInt8])] {
    var generator = SystemRandomNumberGenerator()
    var out: [(String, [UInt8])] = []
    for i in 0..<1000 {
        let topic: String
        switch i % 5 {
        case 0: topic = "room/props/prop \(i)/state"
        case 1: topic = "énigme/salle des pharaons/🎲/\(i)"
        case 2: topic = (0..<12).map { "l\($0)" }.joined(separator: "/") + "/\(i)"
        case 3: topic = "devices/\(i)/with space/and ünïcødé ✓"
        default: topic = "/leading/slash/\(i)"
        }
        var payload: [UInt8]
        switch i {
        case 10: payload = (0..<(256 << 10)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        case 11: payload = (0..<(300 << 10)).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        case 12: payload = [UInt8](repeating: 0, count: 280 << 10)
        default:
            payload = i % 3 == 0 ? (0..<(i % 97 + 1)).map { _ in UInt8.random(in: 0...255, using: &generator) }
                : Array("{\"value\": \(i), \"text\": \"line\\nbreak ✓\"}".utf8)
        }
        out.append((topic, payload))
    }
    out[998] = ("room/caf\u{E9}", Array("precomposed".utf8))
    out[999] = ("room/cafe\u{301}", Array("decomposed".utf8))
    return out
}

/// Publishes retained messages with our client (QoS 1, so each is confirmed).
func seed(_ broker: TestMosquitto, _ messages: [(topic: String, payload: [UInt8])]) throws {
    let client = try MQTTClient(.init(host: broker.host, port: broker.port, clientID: "seed-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"))
    for message in messages {
        try client.publish(topic: Array(message.topic.utf8), payload: message.payload, qos: 1, retain: true)
    }
    client.disconnect()
}

/// Backs up `fixture` with its MQTT port pointing at `port`.
func backupWithMQTT(_ fixture: RoomFixture, port: Int, configure: (inout BackupRequest) -> Void = { _ in }) throws -> BackupResult {
    var settings = try fixture.settings()
    settings.mqttPort = port
    var request = BackupRequest(settings: settings, outputDirectory: fixture.outputDir)
    request.jobs = 2
    configure(&request)
    return try BackupJob(request).run()
}

@Suite("MQTT retained state", .timeLimit(.minutes(30)))
struct MQTTTests {
    @Test("1,000 retained messages (binary, 256+ KiB, unicode topics) survive backup and restore byte for byte")
    func roundTrip() throws {
        let source = try TestMosquitto()
        let messages = sampleRetained()
        try seed(source, messages)
        let original = try source.retained()
        #expect(original.count == 1000, "mosquitto_sub sees every seeded message")
        #expect(original == Dictionary(uniqueKeysWithValues: messages.map { (Array($0.topic.utf8), $0.payload) }))

        let fixture = try RoomFixture(events: 200, prefix: "mq_rt")
        let backup = try backupWithMQTT(fixture, port: source.port)
        #expect(backup.mqtt?.messages == 1000)
        #expect(backup.mqtt?.bytes == Int64(messages.reduce(0) { $0 + $1.payload.count }))
        let inspection = try ArchiveInspector.inspect(backup.archive)
        #expect(inspection.hasMQTT)
        #expect(inspection.manifest?.contents.mqtt == true)
        #expect(inspection.manifest?.files?.contains { $0.path == "mqtt/retained.json" } == true, "checked by SHA-256 like every file")
        let listing = try runProcess("tar", ["-tzf", backup.archive]).stdout.split(separator: "\n")
        let dumpIndex = try #require(listing.firstIndex { $0.hasSuffix("/db/database.dump") })
        let jsonIndex = try #require(listing.firstIndex { $0.hasSuffix("/mqtt/retained.json") })
        #expect(jsonIndex > dumpIndex)

        // Another broker with other retained state, one topic overlapping with another value.
        let target = try TestMosquitto()
        try seed(target, [("other/one", Array("x".utf8)), ("other/two deep/é", [0, 1, 2]), (messages[5].topic, Array("stale".utf8))])
        let database = try TestPostgres.shared().createDatabase(prefix: "mq_rt_b")
        var request = try restoreRequest(backup.archive, into: database, room: "pharaohs", roomsDir: fixture.dir.path + "/rooms-b")
        request.settings.mqttPort = target.port
        let result = try RestoreJob(request, confirm: { plan, _ in
            #expect(plan.contains { $0.hasPrefix("mqtt: make the broker") && $0.contains("1000 retained messages") })
            return true
        }).run()
        #expect(result.attention.isEmpty, "\(result.attention)")
        #expect(result.tables["public.events"] == 200)
        #expect(result.mqtt?.published == 1000)
        #expect(result.mqtt?.cleared == 2)
        let restored = try target.retained()
        #expect(restored.count == original.count)
        #expect(restored == original, "topic -> payload bytes equal the original broker's")
    }

    @Test("broker down: a warning and a database-only backup; with --require-mqtt an error naming it and no file left")
    func brokerDown() throws {
        let fixture = try RoomFixture(events: 50, prefix: "mq_down")
        let port = try freeLoopbackPort()
        var warnings: [String] = []
        var settings = try fixture.settings()
        settings.mqttPort = port
        var request = BackupRequest(settings: settings, outputDirectory: fixture.outputDir)
        let result = try BackupJob(request) { event in
            if case .warning(let message) = event { warnings.append(message) }
        }.run()
        #expect(warnings.contains { $0.contains("127.0.0.1:\(port)") && $0.contains("MQTT") }, "\(warnings)")
        #expect(result.mqtt == nil)
        #expect(result.total_rows == 50)
        let inspection = try ArchiveInspector.inspect(result.archive)
        #expect(inspection.manifest?.contents.mqtt == false)
        #expect(!inspection.hasMQTT)

        let strict = try RoomFixture(events: 10, prefix: "mq_down_req")
        var strictSettings = try strict.settings()
        strictSettings.mqttPort = port
        request = BackupRequest(settings: strictSettings, outputDirectory: strict.outputDir)
        request.requireMQTT = true
        let error = #expect(throws: SnapError.self) { _ = try BackupJob(request).run() }
        #expect(error?.code == .unreachable)
        #expect(error?.message.contains("127.0.0.1:\(port)") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("SENTIENT_MQTT_PORT") == true)
        #expect(try strict.outputFiles().isEmpty, "no archive, no .partial")
    }

    @Test("wrong MQTT credentials: an error naming the broker and the env keys, never the password")
    func wrongCredentials() throws {
        let broker = try TestMosquitto(users: ["snap": "right-horse"])
        let fixture = try RoomFixture(events: 10, prefix: "mq_auth")
        let envFile = fixture.envDir + "/pharaohs.env"
        try "SENTIENT_MQTT_USER=snap\nSENTIENT_MQTT_PASSWORD=wrong-battery\n".write(toFile: envFile, atomically: true, encoding: .utf8)
        chmod(envFile, 0o600)
        let error = #expect(throws: SnapError.self) { _ = try backupWithMQTT(fixture, port: broker.port) }
        #expect(error?.code == .permission)
        let message = error?.message ?? ""
        #expect(message.contains("127.0.0.1:\(broker.port)"), "\(message)")
        #expect(message.contains("SENTIENT_MQTT_USER") && message.contains("SENTIENT_MQTT_PASSWORD") && message.contains(envFile), "\(message)")
        #expect(!message.contains("wrong-battery"))
        #expect(try fixture.outputFiles().isEmpty)

        // Anonymous against the same broker: the same kind of error.
        try "# no credentials\n".write(toFile: envFile, atomically: true, encoding: .utf8)
        let anonymous = #expect(throws: SnapError.self) { _ = try backupWithMQTT(fixture, port: broker.port) }
        #expect(anonymous?.code == .permission)
        #expect(anonymous?.message.contains("anonymous") == true)

        // The right ones work.
        try "SENTIENT_MQTT_USER=snap\nSENTIENT_MQTT_PASSWORD=right-horse\n".write(toFile: envFile, atomically: true, encoding: .utf8)
        var options = MQTTClient.Options(host: broker.host, port: broker.port, clientID: "seed-auth", username: "snap", password: "right-horse")
        options.clientID = "seed-auth-\(getpid())"
        let client = try MQTTClient(options)
        try client.publish(topic: Array("secured/state".utf8), payload: Array("on".utf8), qos: 1, retain: true)
        client.disconnect()
        #expect(try backupWithMQTT(fixture, port: broker.port).mqtt?.messages == 1)
    }

    @Test("restore with a broker that does not answer: database restored, attention says MQTT was not restored")
    func restoreBrokerDown() throws {
        let source = try TestMosquitto()
        try seed(source, [("room/door", Array("open".utf8))])
        let fixture = try RoomFixture(events: 120, prefix: "mq_rdown")
        let archive = try backupWithMQTT(fixture, port: source.port).archive
        let database = try TestPostgres.shared().createDatabase(prefix: "mq_rdown_b")
        var request = try restoreRequest(archive, into: database, room: "pharaohs", roomsDir: fixture.dir.path + "/rooms-b")
        request.settings.mqttPort = try freeLoopbackPort()
        request.readyTimeout = 1
        let result = try RestoreJob(request, confirm: { _, _ in true }).run()
        #expect(result.tables["public.events"] == 120)
        #expect(try database.psql("SELECT count(*) FROM events") == "120")
        #expect(result.mqtt == nil)
        #expect(result.attention.contains { $0.contains("MQTT state was not restored") && $0.contains("127.0.0.1:\(request.settings.mqttPort)") }, "\(result.attention)")
    }

    @Test("an archive without MQTT state leaves the broker's retained messages alone; --mqtt-keep-extra keeps others")
    func archiveWithoutMQTT() throws {
        let fixture = try RoomFixture(events: 30, prefix: "mq_none")
        let broker = try TestMosquitto()
        try seed(broker, [("room/light", Array("red".utf8)), ("room/extra", Array("keep me".utf8))])
        let before = try broker.retained()
        let noMQTT = try backupWithMQTT(fixture, port: broker.port) { $0.includeMQTT = false }
        #expect(noMQTT.mqtt == nil)
        #expect(try ArchiveInspector.inspect(noMQTT.archive).manifest?.contents.mqtt == false)
        try seed(broker, [("room/light", Array("green".utf8))])
        let changed = try broker.retained()
        let database = try TestPostgres.shared().createDatabase(prefix: "mq_none_b")
        var request = try restoreRequest(noMQTT.archive, into: database, room: "pharaohs", roomsDir: fixture.dir.path + "/rooms-b")
        request.settings.mqttPort = broker.port
        let result = try RestoreJob(request, confirm: { plan, _ in
            #expect(plan.contains("mqtt: left as it is (the archive holds no MQTT state)"))
            return true
        }).run()
        #expect(result.mqtt == nil && result.attention.isEmpty)
        #expect(try broker.retained() == changed)
        #expect(changed != before)

        // With MQTT state and --mqtt-keep-extra: the archive's topics return, others stay.
        Thread.sleep(forTimeInterval: 1.1)  // a new archive name
        let withMQTT = try backupWithMQTT(fixture, port: broker.port)
        try seed(broker, [("room/light", Array("blue".utf8)), ("room/new", Array("new".utf8))])
        var keep = try restoreRequest(withMQTT.archive, into: database, room: "pharaohs", roomsDir: fixture.dir.path + "/rooms-c")
        keep.settings.mqttPort = broker.port
        keep.mqttKeepExtra = true
        let kept = try RestoreJob(keep, confirm: { _, _ in true }).run()
        #expect(kept.mqtt?.kept_extra == 1)
        var expected = changed
        expected[Array("room/new".utf8)] = Array("new".utf8)
        #expect(try broker.retained() == expected)
    }
}
