/// MQTT 3.1.1 control packets: the few this tool sends and receives, as bytes.
///
/// Only framing lives here (no sockets), so it can be tested on its own. Names follow the
/// OASIS MQTT 3.1.1 specification, section 2 (fixed header) and section 3 (packets).
enum MQTTPacket {
    /// Control packet types (the high nibble of the first byte).
    enum Kind: UInt8 {
        case connect = 1, connack, publish, puback, pubrec, pubrel, pubcomp
        case subscribe, suback, unsubscribe, unsuback, pingreq, pingresp, disconnect
    }

    /// The largest remaining length MQTT can express (four varint bytes, §2.2.3).
    static let maxRemainingLength = 268_435_455

    /// One received packet: type, the fixed header's flag nibble, and the bytes after the
    /// remaining length.
    struct Frame: Equatable {
        var kind: Kind
        var flags: UInt8
        var body: [UInt8]
    }

    // MARK: - Remaining length

    /// The variable-length "remaining length" (§2.2.3): 7 bits per byte, high bit = more.
    static func encodeRemainingLength(_ length: Int) -> [UInt8] {
        precondition(length >= 0 && length <= maxRemainingLength, "MQTT remaining length \(length) out of range")
        var value = length
        var out: [UInt8] = []
        repeat {
            var byte = UInt8(value % 128)
            value /= 128
            if value > 0 { byte |= 0x80 }
            out.append(byte)
        } while value > 0
        return out
    }

    enum LengthDecoding: Equatable {
        /// More bytes are needed.
        case incomplete
        /// The value and how many bytes it took.
        case value(Int, byteCount: Int)
        /// A fifth continuation byte: not MQTT.
        case malformed
    }

    /// Decodes a remaining length starting at `start`.
    static func decodeRemainingLength(_ bytes: [UInt8], from start: Int) -> LengthDecoding {
        var value = 0
        var multiplier = 1
        var index = start
        for _ in 0..<4 {
            guard index < bytes.count else { return .incomplete }
            let byte = bytes[index]
            value += Int(byte & 0x7F) * multiplier
            index += 1
            if byte & 0x80 == 0 { return .value(value, byteCount: index - start) }
            multiplier *= 128
        }
        return .malformed
    }

    /// Finds one whole packet at the start of `bytes[start...]`.
    /// - Returns: the frame and the index after it; nil when more bytes are needed.
    /// - Throws: `ProtocolViolation` for an unknown type, a malformed length, or a packet
    ///   over `maxSize`.
    static func parse(_ bytes: [UInt8], from start: Int, maxSize: Int) throws -> (Frame, next: Int)? {
        guard start < bytes.count else { return nil }
        let first = bytes[start]
        guard let kind = Kind(rawValue: first >> 4) else {
            throw ProtocolViolation("unknown packet type \(first >> 4)")
        }
        switch decodeRemainingLength(bytes, from: start + 1) {
        case .incomplete:
            return nil
        case .malformed:
            throw ProtocolViolation("malformed remaining length")
        case .value(let length, let lengthBytes):
            guard length <= maxSize else {
                throw ProtocolViolation("a \(kind) packet of \(length) bytes, over the \(maxSize) byte limit")
            }
            let bodyStart = start + 1 + lengthBytes
            guard bytes.count - bodyStart >= length else { return nil }
            return (Frame(kind: kind, flags: first & 0x0F, body: Array(bytes[bodyStart..<bodyStart + length])), bodyStart + length)
        }
    }

    struct ProtocolViolation: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    // MARK: - Building packets

    /// A packet: fixed header (type, flags, remaining length) then `body`.
    static func frame(_ kind: Kind, flags: UInt8 = 0, _ body: [UInt8]) -> [UInt8] {
        [kind.rawValue << 4 | flags] + encodeRemainingLength(body.count) + body
    }

    /// A UTF-8 string or binary field: two-byte big-endian length, then the bytes (§1.5.3).
    static func field(_ bytes: [UInt8]) -> [UInt8] {
        precondition(bytes.count <= 65535, "MQTT string field over 65535 bytes")
        return [UInt8(bytes.count >> 8), UInt8(bytes.count & 0xFF)] + bytes
    }

    static func packetID(_ id: UInt16) -> [UInt8] { [UInt8(id >> 8), UInt8(id & 0xFF)] }

    /// CONNECT (§3.1), protocol level 4, clean session. A password needs a user name in 3.1.1,
    /// so a password alone is sent with an empty user name.
    static func connect(clientID: String, username: String?, password: String?, keepAlive: UInt16) -> [UInt8] {
        var flags: UInt8 = 0x02  // clean session
        let user = username ?? (password != nil ? "" : nil)
        if user != nil { flags |= 0x80 }
        if password != nil { flags |= 0x40 }
        var body = field(Array("MQTT".utf8)) + [4, flags, UInt8(keepAlive >> 8), UInt8(keepAlive & 0xFF)]
        body += field(Array(clientID.utf8))
        if let user { body += field(Array(user.utf8)) }
        if let password { body += field(Array(password.utf8)) }
        return frame(.connect, body)
    }

    /// SUBSCRIBE (§3.8) to one topic filter; the fixed header flags are 0b0010.
    static func subscribe(id: UInt16, filter: String, qos: UInt8) -> [UInt8] {
        frame(.subscribe, flags: 0x02, packetID(id) + field(Array(filter.utf8)) + [qos])
    }

    /// The PUBLISH fixed-header first byte and the rest, without the payload copy twice:
    /// header + topic (+ packet id) are returned, the payload is sent after them.
    static func publishHead(topic: [UInt8], payloadCount: Int, qos: UInt8, retain: Bool, id: UInt16) -> [UInt8] {
        var variable = field(topic)
        if qos > 0 { variable += packetID(id) }
        let flags = qos << 1 | (retain ? 1 : 0)
        return [Kind.publish.rawValue << 4 | flags] + encodeRemainingLength(variable.count + payloadCount) + variable
    }

    /// PUBACK, PUBREC, PUBREL (flags 0b0010) or PUBCOMP for a packet id.
    static func ack(_ kind: Kind, id: UInt16) -> [UInt8] {
        frame(kind, flags: kind == .pubrel ? 0x02 : 0, packetID(id))
    }

    static let pingreq: [UInt8] = [Kind.pingreq.rawValue << 4, 0]
    static let disconnect: [UInt8] = [Kind.disconnect.rawValue << 4, 0]

    // MARK: - Reading packets

    /// A received PUBLISH (§3.3).
    struct Publish: Equatable {
        var topic: [UInt8]
        var qos: UInt8
        var retain: Bool
        var id: UInt16?
        var payload: [UInt8]
    }

    static func decodePublish(_ frame: Frame) throws -> Publish {
        let qos = (frame.flags >> 1) & 0x03
        guard qos < 3 else { throw ProtocolViolation("PUBLISH with QoS 3") }
        let body = frame.body
        guard body.count >= 2 else { throw ProtocolViolation("PUBLISH too short") }
        let topicLength = Int(body[0]) << 8 | Int(body[1])
        var index = 2 + topicLength
        guard body.count >= index + (qos > 0 ? 2 : 0) else { throw ProtocolViolation("PUBLISH too short for its topic") }
        let topic = Array(body[2..<index])
        var id: UInt16?
        if qos > 0 {
            id = UInt16(body[index]) << 8 | UInt16(body[index + 1])
            index += 2
        }
        return Publish(topic: topic, qos: qos, retain: frame.flags & 0x01 != 0, id: id, payload: Array(body[index...]))
    }

    /// The packet id of an ack (PUBACK, PUBREC, PUBREL, PUBCOMP, SUBACK).
    static func ackID(_ frame: Frame) throws -> UInt16 {
        guard frame.body.count >= 2 else { throw ProtocolViolation("\(frame.kind) too short") }
        return UInt16(frame.body[0]) << 8 | UInt16(frame.body[1])
    }

    /// Checks a topic name for PUBLISH (§4.7): not empty, no wildcards, no NUL, at most 65535 bytes.
    static func validTopicName(_ topic: [UInt8]) -> Bool {
        !topic.isEmpty && topic.count <= 65535 && !topic.contains(0) && !topic.contains(UInt8(ascii: "+"))
            && !topic.contains(UInt8(ascii: "#")) && String(validating: topic, as: UTF8.self) != nil
    }
}
