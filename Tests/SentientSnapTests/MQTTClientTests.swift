import Foundation
@testable import RoomWires
import SentientSnap
import TestHarness
import Testing

@Suite("MQTT client", .timeLimit(.minutes(30)))
struct MQTTClientTests {
    @Test("remaining length: every boundary round-trips; a fifth continuation byte is malformed")
    func remainingLength() {
        for value in [0, 1, 127, 128, 16_383, 16_384, 2_097_151, 2_097_152, 268_435_455] {
            let bytes = MQTTPacket.encodeRemainingLength(value)
            let expectedCount = value < 128 ? 1 : value < 16_384 ? 2 : value < 2_097_152 ? 3 : 4
            #expect(bytes.count == expectedCount, "\(value)")
            #expect(MQTTPacket.decodeRemainingLength(bytes, from: 0) == .value(value, byteCount: expectedCount))
            #expect(MQTTPacket.decodeRemainingLength(Array(bytes.dropLast()), from: 0) == .incomplete || bytes.count == 1)
        }
        #expect(MQTTPacket.encodeRemainingLength(321) == [0xC1, 0x02])
        #expect(MQTTPacket.decodeRemainingLength([0xFF, 0xFF, 0xFF, 0xFF, 0x01], from: 0) == .malformed)
    }

    @Test("PUBLISH frames parse back: QoS, retain, id, binary payload, split input")
    func publishFraming() throws {
        let topic = Array("a b/ünï/ço/dé/🎲".utf8)
        let payload = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let packet = MQTTPacket.publishHead(topic: topic, payloadCount: payload.count, qos: 1, retain: true, id: 513) + payload
        #expect(try MQTTPacket.parse(Array(packet.dropLast()), from: 0, maxSize: 1 << 20) == nil, "incomplete")
        let (frame, next) = try #require(try MQTTPacket.parse(packet + [0xC0], from: 0, maxSize: 1 << 20))
        #expect(next == packet.count)
        let publish = try MQTTPacket.decodePublish(frame)
        #expect(publish == .init(topic: topic, qos: 1, retain: true, id: 513, payload: payload))
        #expect(throws: MQTTPacket.ProtocolViolation.self) { _ = try MQTTPacket.parse(packet, from: 0, maxSize: 1000) }
    }

    @Test("retained.json round-trips: binary payloads, canonically equivalent topics kept apart, sorted")
    func snapshotJSON() throws {
        let messages = [
            RetainedMessage(topic: "room/caf\u{E9}", qos: 1, payload: [0, 1, 2, 255]),
            RetainedMessage(topic: "room/cafe\u{301}", qos: 0, payload: Array("decomposed".utf8)),
            RetainedMessage(topic: "a/b c", qos: 2, payload: Array("x".utf8)),
            RetainedMessage(topic: "gone", qos: 0, payload: []),
        ]
        let snapshot = RetainedSnapshot(capturedAt: "2024-01-15T14:30:22Z", broker: "127.0.0.1:1883", messages: messages)
        #expect(snapshot.messages.count == 3, "the empty payload is a deletion, not a message")
        #expect(snapshot.messages.map(\.topic) == ["a/b c", "room/cafe\u{301}", "room/caf\u{E9}"].sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) })
        let decoded = try RetainedSnapshot.decode(try snapshot.encodedJSON())
        #expect(decoded == snapshot)
        #expect(Set(decoded.messages.map(\.topicBytes)).count == 3)
        #expect(throws: SnapError.self) { _ = try RetainedSnapshot.decode(Array("{\"format\":1}".utf8)) }
    }

    @Test("a broker with 3,000 retained QoS 1 messages is captured completely")
    func manyQoS1Messages() throws {
        let broker = try TestMosquitto()
        let options = MQTTClient.Options(host: broker.host, port: broker.port, clientID: "seed-\(getpid())")
        let client = try MQTTClient(options)
        for i in 0..<3000 {
            try client.publish(topic: Array("many/\(i)".utf8), payload: Array("v\(i)".utf8), qos: 1, retain: true)
        }
        client.disconnect()
        var reader = options
        reader.clientID = "reader-\(getpid())"
        let snapshot = try RetainedState.capture(reader)
        #expect(snapshot.messages.count == 3000, "\(broker.log)")
    }
}
