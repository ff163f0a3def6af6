import Foundation
import RoomWires

/// One retained message as stored in `mqtt/retained.json`.
public struct RetainedMessage: Sendable, Equatable {
    /// The topic's UTF-8 bytes (kept as bytes: `String` equality would fold canonically
    /// equivalent topics that the broker keeps apart).
    public var topicBytes: [UInt8]
    public var topic: String { String(decoding: topicBytes, as: UTF8.self) }
    public var qos: UInt8
    public var payload: [UInt8]

    public init(topic: String, qos: UInt8, payload: [UInt8]) {
        self.init(topicBytes: Array(topic.utf8), qos: qos, payload: payload)
    }

    public init(topicBytes: [UInt8], qos: UInt8, payload: [UInt8]) {
        self.topicBytes = topicBytes
        self.qos = qos
        self.payload = payload
    }
}

/// A broker's retained messages at one moment: the content of `mqtt/retained.json`.
public struct RetainedSnapshot: Sendable, Equatable {
    /// ISO-8601 UTC.
    public var capturedAt: String
    /// "host:port" it was read from.
    public var broker: String
    /// Sorted by topic bytes, one per topic.
    public private(set) var messages: [RetainedMessage]

    public init(capturedAt: String, broker: String, messages: [RetainedMessage]) {
        self.capturedAt = capturedAt
        self.broker = broker
        self.messages = Self.normalized(messages)
    }

    /// Payload bytes in total.
    public var payloadBytes: Int64 { messages.reduce(0) { $0 + Int64($1.payload.count) } }

    /// One message per topic (the last one wins), empty payloads dropped (an empty retained
    /// payload is how MQTT deletes one), sorted by topic bytes.
    static func normalized(_ messages: [RetainedMessage]) -> [RetainedMessage] {
        var byTopic: [[UInt8]: RetainedMessage] = [:]
        for message in messages where !message.payload.isEmpty { byTopic[message.topicBytes] = message }
        return byTopic.values.sorted { $0.topicBytes.lexicographicallyPrecedes($1.topicBytes) }
    }

    // MARK: - retained.json

    /// The file's layout. `payload` is base64; `size` is the payload's length in bytes.
    private struct File: Codable {
        struct Entry: Codable {
            var topic: String
            var qos: Int
            var size: Int
            var payload: String
        }
        var format: Int
        var captured_at: String
        var broker: String
        var messages: [Entry]
    }

    /// The layout version written into `retained.json`.
    public static let formatVersion = 1

    /// `retained.json`: pretty JSON, sorted keys, messages sorted by topic, final newline.
    public func encodedJSON() throws -> [UInt8] {
        let file = File(
            format: Self.formatVersion, captured_at: capturedAt, broker: broker,
            messages: messages.map { .init(topic: $0.topic, qos: Int($0.qos), size: $0.payload.count, payload: Data($0.payload).base64EncodedString()) })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(file)) + [0x0A]
    }

    /// Reads `retained.json`.
    /// - Throws: `SnapError(.damagedArchive)` naming what is wrong.
    public static func decode(_ bytes: [UInt8]) throws -> RetainedSnapshot {
        let file: File
        do {
            file = try JSONDecoder().decode(File.self, from: Data(bytes))
        } catch {
            throw SnapError(.damagedArchive, "mqtt/retained.json is not valid: \(error)")
        }
        guard file.format <= formatVersion else {
            throw SnapError(.damagedArchive, "mqtt/retained.json has format \(file.format); this sentient-snap reads up to \(formatVersion) — use a newer sentient-snap")
        }
        var messages: [RetainedMessage] = []
        for entry in file.messages {
            guard let payload = Data(base64Encoded: entry.payload), payload.count == entry.size else {
                throw SnapError(.damagedArchive, "mqtt/retained.json: the payload of topic '\(entry.topic)' is not base64 of \(entry.size) bytes")
            }
            guard (0...2).contains(entry.qos), MQTTClient.isValidTopicName(Array(entry.topic.utf8)) else {
                throw SnapError(.damagedArchive, "mqtt/retained.json: '\(entry.topic)' with QoS \(entry.qos) is not a retained message MQTT allows")
            }
            messages.append(RetainedMessage(topic: entry.topic, qos: UInt8(entry.qos), payload: Array(payload)))
        }
        return RetainedSnapshot(capturedAt: file.captured_at, broker: file.broker, messages: messages)
    }
}

/// Reading and rewriting a broker's retained messages (DESIGN.md backup step 4, restore step 8).
public enum RetainedState {
    /// Caps and timing of a capture.
    public struct CaptureLimits: Sendable {
        /// The broker is done once no retained message arrived for this long (default 0.5 s).
        public var settle: Double = 0.5
        /// Hard cap on the whole capture (default 10 s).
        public var timeLimit: Double = 10
        /// Hard cap on topic + payload bytes (default 64 MiB).
        public var byteLimit: Int64 = 64 << 20
        public init() {}
    }

    /// Subscribes to `#` (which by MQTT's rules excludes `$SYS/...`) and collects the messages
    /// delivered with the retain flag until the broker has been quiet for `settle` seconds.
    ///
    /// Only retained deliveries restart the quiet period: live traffic on a busy room arrives
    /// with retain = 0 (MQTT 3.1.1 §3.3.1.3) and neither ends up in the snapshot nor delays it.
    ///
    /// The subscription is QoS 0 on purpose: a broker sends all retained messages at once on
    /// SUBSCRIBE, and for QoS 1/2 deliveries it keeps only so many per client (mosquitto:
    /// 20 in flight + `max_queued_messages` 1000) and silently drops the rest. QoS 0 deliveries
    /// are not queued that way, so the capture is complete; the cost is that 3.1.1 then reports
    /// every message as QoS 0, so `qos` in the snapshot is the delivered QoS.
    /// - Throws: `MQTTError` (`.limitExceeded` naming the cap that was hit).
    public static func capture(_ options: MQTTClient.Options, limits: CaptureLimits = .init(), now: Date = Date()) throws -> RetainedSnapshot {
        let started = Date()
        let hardDeadline = started.addingTimeInterval(limits.timeLimit)
        let client = try MQTTClient(options)
        defer { client.disconnect() }
        try client.subscribe("#", qos: 0)
        var messages: [RetainedMessage] = []
        var bytes: Int64 = 0
        var quietUntil = Date().addingTimeInterval(limits.settle)
        while true {
            let deadline = min(quietUntil, hardDeadline)
            guard let message = try client.receive(until: deadline) else {
                if Date() >= hardDeadline && quietUntil > hardDeadline {
                    throw MQTTError(.limitExceeded, broker: options.broker, "the MQTT broker at \(options.broker) was still sending retained messages after \(MQTTClient.seconds(limits.timeLimit)) (the capture's time cap; \(messages.count) messages so far) — use --no-mqtt to back up without its state")
                }
                break
            }
            guard message.retain else { continue }
            quietUntil = Date().addingTimeInterval(limits.settle)
            bytes += Int64(message.topicBytes.count + message.payload.count)
            if bytes > limits.byteLimit {
                throw MQTTError(.limitExceeded, broker: options.broker, "the retained messages on the MQTT broker at \(options.broker) exceed the capture's cap of \(limits.byteLimit >> 20) MiB — use --no-mqtt to back up without its state")
            }
            messages.append(RetainedMessage(topicBytes: message.topicBytes, qos: message.qos, payload: message.payload))
        }
        return RetainedSnapshot(capturedAt: isoUTC(now), broker: options.broker, messages: messages)
    }

    /// What `apply` did.
    public struct ApplyResult: Codable, Sendable, Equatable {
        /// "host:port".
        public var broker: String
        /// Retained messages published from the archive.
        public var published: Int
        /// Retained topics the broker had that the archive has not, cleared.
        public var cleared: Int
        /// Such topics left in place (`--mqtt-keep-extra`).
        public var kept_extra: Int
    }

    /// Makes the broker's retained set equal to `snapshot`: reads what it holds now, publishes
    /// every archived message with retain = 1, and clears (empty retained payload) topics the
    /// archive does not have unless `keepExtra`.
    ///
    /// Each message goes out at QoS 1 (or its recorded QoS when higher) and is confirmed by its
    /// PUBACK (PUBCOMP for QoS 2) before the next. Reading and writing use two connections, so
    /// our own publishes are never echoed back at us.
    /// - Throws: `MQTTError`.
    public static func apply(
        _ snapshot: RetainedSnapshot, to options: MQTTClient.Options, keepExtra: Bool, limits: CaptureLimits = .init()
    ) throws -> ApplyResult {
        let current = try capture(options, limits: limits)
        let wanted = Set(snapshot.messages.map(\.topicBytes))
        let extra = current.messages.filter { !wanted.contains($0.topicBytes) }
        let client = try MQTTClient(options)
        defer { client.disconnect() }
        if !keepExtra {
            for message in extra {
                try client.publish(topic: message.topicBytes, payload: [], qos: 1, retain: true)
            }
        }
        for message in snapshot.messages {
            try client.publish(topic: message.topicBytes, payload: message.payload, qos: max(1, message.qos), retain: true)
        }
        return ApplyResult(
            broker: options.broker, published: snapshot.messages.count,
            cleared: keepExtra ? 0 : extra.count, kept_extra: keepExtra ? extra.count : 0)
    }
}

extension RoomSettings {
    /// How to reach this room's broker, with messages that name the settings to fix.
    public var mqttOptions: MQTTClient.Options {
        var options = MQTTClient.Options(
            host: host, port: mqttPort, clientID: "sentient-snap-\(room)-\(getpid())",
            username: mqttUser, password: mqttPassword)
        let file = envFile.map { " in \($0)" } ?? " in the room's env file"
        options.portHint = "--mqtt-port or SENTIENT_MQTT_PORT\(file)"
        options.credentialsHint = "SENTIENT_MQTT_USER and SENTIENT_MQTT_PASSWORD\(file)"
        return options
    }
}
