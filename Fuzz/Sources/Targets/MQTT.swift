@testable import RoomWires

/// The MQTT packet decoder: the input is what a broker sent, framed packet by packet; each
/// PUBLISH, ack and CONNACK is decoded as the client does.
let mqttTarget = FuzzTarget(name: "mqtt", maxLen: 16 << 10) { bytes in
    var start = 0
    while let (frame, next) = try? MQTTPacket.parse(bytes, from: start, maxSize: 1 << 20) {
        precondition(next > start, "MQTT parsing made no progress")
        start = next
        switch frame.kind {
        case .publish:
            if let publish = try? MQTTPacket.decodePublish(frame) { _ = MQTTPacket.validTopicName(publish.topic) }
        case .connack:
            if frame.body.count == 2 {
                _ = try? MQTTClient.check(connackCode: frame.body[1], .init(host: "broker", port: 1883, clientID: "fuzz"))
            }
        case .puback, .pubrec, .pubrel, .pubcomp, .suback, .unsuback:
            _ = try? MQTTPacket.ackID(frame)
        default:
            break
        }
        if case .value(let length, _) = MQTTPacket.decodeRemainingLength(bytes, from: 1), length <= MQTTPacket.maxRemainingLength {
            let encoded = MQTTPacket.encodeRemainingLength(length)
            precondition(MQTTPacket.decodeRemainingLength(encoded, from: 0) == .value(length, byteCount: encoded.count))
        }
    }
}
