import Foundation

/// A small blocking MQTT 3.1.1 client over a plain TCP socket: CONNECT (clean session, optional
/// user name and password), SUBSCRIBE, PUBLISH at QoS 0/1/2 with retain, PINGREQ, DISCONNECT.
///
/// Enough to read and rewrite a broker's retained messages; not a general client (no
/// reconnects, no will, no TLS). Every wait has a deadline. The socket is closed in `deinit`.
public final class MQTTClient {
    /// Where the broker is and how to log in.
    public struct Options: Sendable {
        public var host: String
        public var port: Int
        public var clientID: String
        public var username: String?
        public var password: String?
        public var keepAlive: UInt16 = 60
        /// Seconds for the TCP connect and for the CONNACK.
        public var connectTimeout: Double = 5
        /// Seconds to wait for an ack (SUBACK, PUBACK, PUBCOMP, PINGRESP) or to send a packet.
        public var ioTimeout: Double = 15
        /// The largest packet accepted from the broker (default 80 MiB).
        public var maxPacketSize = 80 << 20
        /// Where the port comes from, for messages ("--mqtt-port or SENTIENT_MQTT_PORT in ...").
        public var portHint = "--mqtt-port or SENTIENT_MQTT_PORT"
        /// Where the credentials come from, for messages.
        public var credentialsHint = "SENTIENT_MQTT_USER and SENTIENT_MQTT_PASSWORD in the room's env file"

        public init(host: String, port: Int, clientID: String, username: String? = nil, password: String? = nil) {
            self.host = host
            self.port = port
            self.clientID = clientID
            self.username = username
            self.password = password
        }

        /// "host:port" ("[::1]:1883" for IPv6 literals).
        public var broker: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
    }

    /// A message the broker delivered.
    public struct Message: Sendable, Equatable {
        /// The topic as UTF-8 bytes (compare these, not `String`s: `String` equality folds
        /// canonically equivalent topics such as "é" and "e\u{301}" that MQTT keeps apart).
        public var topicBytes: [UInt8]
        public var topic: String { String(decoding: topicBytes, as: UTF8.self) }
        public var payload: [UInt8]
        public var qos: UInt8
        public var retain: Bool
    }

    public let options: Options
    private let fd: Int32
    private var inbox: [UInt8] = []
    private var inboxStart = 0
    private var delivered: [Message] = []
    private var nextID: UInt16 = 0
    private var connected = true

    /// Connects and logs in.
    /// - Throws: `MQTTError` `.unreachable`, `.timeout`, `.authenticationFailed`, `.refused`,
    ///   `.connectionLost`, `.protocolViolation`.
    public init(_ options: Options) throws {
        self.options = options
        fd = try Self.openSocket(options)
        do {
            try send(MQTTPacket.connect(
                clientID: options.clientID, username: options.username, password: options.password,
                keepAlive: options.keepAlive), deadline: Date().addingTimeInterval(options.connectTimeout))
            guard let connack = try readFrame(until: Date().addingTimeInterval(options.connectTimeout)) else {
                throw MQTTError(.timeout, broker: options.broker, "the MQTT broker at \(options.broker) accepted the connection but sent no CONNACK within \(Self.seconds(options.connectTimeout)) — is that port really the room's MQTT port (\(options.portHint))?")
            }
            guard connack.kind == .connack, connack.body.count == 2 else {
                throw MQTTError(.protocolViolation, broker: options.broker, "\(options.broker) answered CONNECT with a \(connack.kind) packet, not CONNACK — is that port really the room's MQTT port (\(options.portHint))?")
            }
            try Self.check(connackCode: connack.body[1], options)
        } catch {
            close(fd)
            throw error
        }
    }

    deinit {
        if connected { disconnect() }
        close(fd)
    }

    /// Turns a CONNACK return code (§3.2.2.3) into success or an error naming what to fix.
    static func check(connackCode code: UInt8, _ options: Options) throws {
        let broker = options.broker
        switch code {
        case 0:
            return
        case 4, 5:
            let reason = code == 4 ? "bad user name or password" : "not authorized"
            let who = options.username.map { "as user '\($0)'" } ?? "without a user name (anonymous)"
            throw MQTTError(.authenticationFailed, broker: broker, "the MQTT broker at \(broker) refused the login \(who) (\(reason)): set \(options.credentialsHint) to the broker's credentials")
        case 1:
            throw MQTTError(.refused, broker: broker, "the MQTT broker at \(broker) does not speak MQTT 3.1.1 (CONNACK code 1)")
        case 2:
            throw MQTTError(.refused, broker: broker, "the MQTT broker at \(broker) rejected the client id \(options.clientID) (CONNACK code 2)")
        case 3:
            throw MQTTError(.refused, broker: broker, "the MQTT broker at \(broker) says it is unavailable (CONNACK code 3); try again when the room is up")
        default:
            throw MQTTError(.protocolViolation, broker: broker, "the MQTT broker at \(broker) sent an unknown CONNACK code \(code)")
        }
    }

    // MARK: - Operations

    /// Subscribes to one topic filter and waits for the SUBACK.
    /// - Returns: the granted QoS.
    /// - Throws: `MQTTError` (`.refused` when the broker refuses the filter).
    @discardableResult
    public func subscribe(_ filter: String, qos: UInt8) throws -> UInt8 {
        let id = takeID()
        try send(MQTTPacket.subscribe(id: id, filter: filter, qos: qos), deadline: ioDeadline())
        let suback = try awaitAck(.suback, id: id, what: "SUBACK for \(filter)")
        guard suback.body.count >= 3, suback.body[2] != 0x80 else {
            throw MQTTError(.refused, broker: options.broker, "the MQTT broker at \(options.broker) refused the subscription to '\(filter)' (check its ACL for this user)")
        }
        return suback.body[2]
    }

    /// Publishes one message. QoS 1 waits for PUBACK, QoS 2 for PUBREC/PUBCOMP; QoS 0 returns
    /// once the bytes are sent (`ping()` afterwards confirms the broker handled them).
    /// - Throws: `MQTTError`; `.protocolViolation` for a topic MQTT does not allow in PUBLISH.
    public func publish(topic: [UInt8], payload: [UInt8], qos: UInt8, retain: Bool) throws {
        precondition(qos <= 2, "MQTT QoS \(qos)")
        guard MQTTPacket.validTopicName(topic) else {
            throw MQTTError(.protocolViolation, broker: options.broker, "cannot publish to topic '\(String(decoding: topic, as: UTF8.self))': not a valid MQTT topic name")
        }
        let id = qos > 0 ? takeID() : 0
        let head = MQTTPacket.publishHead(topic: topic, payloadCount: payload.count, qos: qos, retain: retain, id: id)
        let deadline = ioDeadline()
        try send(head, deadline: deadline)
        try send(payload, deadline: deadline)
        switch qos {
        case 1:
            _ = try awaitAck(.puback, id: id, what: "PUBACK")
        case 2:
            _ = try awaitAck(.pubrec, id: id, what: "PUBREC")
            try send(MQTTPacket.ack(.pubrel, id: id), deadline: ioDeadline())
            _ = try awaitAck(.pubcomp, id: id, what: "PUBCOMP")
        default:
            break
        }
    }

    /// PINGREQ, then waits for PINGRESP. The broker handles one connection's packets in order,
    /// so this also confirms every QoS 0 publish sent before it.
    public func ping() throws {
        try send(MQTTPacket.pingreq, deadline: ioDeadline())
        _ = try awaitAck(.pingresp, id: nil, what: "PINGRESP")
    }

    /// The next delivered message, or nil when none arrives before `deadline`. QoS 1 and 2
    /// deliveries are acknowledged here.
    public func receive(until deadline: Date) throws -> Message? {
        if !delivered.isEmpty { return delivered.removeFirst() }
        while true {
            guard let frame = try readFrame(until: deadline) else { return nil }
            try handleUnsolicited(frame)
            if !delivered.isEmpty { return delivered.removeFirst() }
        }
    }

    /// Sends DISCONNECT (best effort); the socket closes in `deinit`.
    public func disconnect() {
        guard connected else { return }
        connected = false
        _ = try? send(MQTTPacket.disconnect, deadline: Date().addingTimeInterval(1))
        shutdown(fd, Int32(SHUT_WR))
    }

    // MARK: - Packets

    private func takeID() -> UInt16 {
        nextID = nextID == UInt16.max ? 1 : nextID + 1
        return nextID
    }

    private func ioDeadline() -> Date { Date().addingTimeInterval(options.ioTimeout) }

    /// Reads frames until the wanted ack arrives; deliveries on the way are queued.
    private func awaitAck(_ kind: MQTTPacket.Kind, id: UInt16?, what: String) throws -> MQTTPacket.Frame {
        let deadline = ioDeadline()
        while true {
            guard let frame = try readFrame(until: deadline) else {
                throw MQTTError(.timeout, broker: options.broker, "the MQTT broker at \(options.broker) sent no \(what) within \(Self.seconds(options.ioTimeout))")
            }
            if frame.kind == kind {
                guard let id else { return frame }
                if try MQTTPacket.ackID(frame) == id { return frame }
                continue
            }
            try handleUnsolicited(frame)
        }
    }

    /// Deliveries (acknowledged as QoS requires) and the broker's half of an inbound QoS 2 flow.
    private func handleUnsolicited(_ frame: MQTTPacket.Frame) throws {
        switch frame.kind {
        case .publish:
            let publish: MQTTPacket.Publish
            do {
                publish = try MQTTPacket.decodePublish(frame)
            } catch let violation as MQTTPacket.ProtocolViolation {
                throw MQTTError(.protocolViolation, broker: options.broker, "the MQTT broker at \(options.broker) sent a malformed PUBLISH: \(violation)")
            }
            if let id = publish.id {
                try send(MQTTPacket.ack(publish.qos == 1 ? .puback : .pubrec, id: id), deadline: ioDeadline())
            }
            delivered.append(Message(topicBytes: publish.topic, payload: publish.payload, qos: publish.qos, retain: publish.retain))
        case .pubrel:
            try send(MQTTPacket.ack(.pubcomp, id: try MQTTPacket.ackID(frame)), deadline: ioDeadline())
        case .pingresp, .puback, .pubrec, .pubcomp, .suback, .unsuback:
            break  // a late ack of something we stopped waiting for
        case .connect, .connack, .subscribe, .unsubscribe, .pingreq, .disconnect:
            throw MQTTError(.protocolViolation, broker: options.broker, "the MQTT broker at \(options.broker) sent an unexpected \(frame.kind) packet")
        }
    }

    /// The next whole packet, or nil at the deadline.
    private func readFrame(until deadline: Date) throws -> MQTTPacket.Frame? {
        while true {
            do {
                if let (frame, next) = try MQTTPacket.parse(inbox, from: inboxStart, maxSize: options.maxPacketSize) {
                    inboxStart = next
                    if inboxStart == inbox.count {
                        inbox.removeAll(keepingCapacity: true)
                        inboxStart = 0
                    }
                    return frame
                }
            } catch let violation as MQTTPacket.ProtocolViolation {
                throw MQTTError(.protocolViolation, broker: options.broker, "\(options.broker) sent data that is not MQTT 3.1.1 (\(violation)) — is that port really the room's MQTT port (\(options.portHint))?")
            }
            if inboxStart > 0 {
                inbox.removeFirst(inboxStart)
                inboxStart = 0
            }
            guard try fill(until: deadline) else { return nil }
        }
    }

    /// Reads what the socket has into the inbox; false at the deadline.
    private func fill(until deadline: Date) throws -> Bool {
        guard try wait(for: Int16(POLLIN), until: deadline) else { return false }
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n > 0 {
            inbox.append(contentsOf: chunk[0..<n])
            return true
        }
        if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) { return true }
        let reason = n == 0 ? "it closed the connection" : String(cString: strerror(errno))
        connected = false
        throw MQTTError(.connectionLost, broker: options.broker, "lost the connection to the MQTT broker at \(options.broker) (\(reason))")
    }

    private func send(_ bytes: [UInt8], deadline: Date) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            if n > 0 {
                offset += n
                continue
            }
            if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
                guard try wait(for: Int16(POLLOUT), until: deadline) else {
                    throw MQTTError(.timeout, broker: options.broker, "the MQTT broker at \(options.broker) stopped taking data (send timed out after \(Self.seconds(options.ioTimeout)))")
                }
                continue
            }
            connected = false
            throw MQTTError(.connectionLost, broker: options.broker, "lost the connection to the MQTT broker at \(options.broker) (\(String(cString: strerror(errno))))")
        }
    }

    /// poll(2) until `events` or the deadline; true when ready.
    private func wait(for events: Int16, until deadline: Date) throws -> Bool {
        while true {
            let remaining = deadline.timeIntervalSinceNow
            if remaining <= 0 { return false }
            var pfd = pollfd(fd: fd, events: events, revents: 0)
            let rc = poll(&pfd, 1, Int32(min(remaining * 1000, 60_000).rounded(.up)))
            if rc > 0 { return true }
            if rc < 0 && errno != EINTR {
                throw MQTTError(.connectionLost, broker: options.broker, "poll on the connection to \(options.broker) failed: \(String(cString: strerror(errno)))")
            }
        }
    }

    // MARK: - Socket

    /// A non-blocking TCP socket connected to the broker within `connectTimeout`.
    private static func openSocket(_ options: Options) throws -> Int32 {
        let broker = options.broker
        let hint = "is the room running? The port comes from \(options.portHint)"
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(options.host, String(options.port), &hints, &result)
        guard rc == 0, let first = result else {
            throw MQTTError(.unreachable, broker: broker, "cannot resolve the MQTT broker's host \(options.host) (\(String(cString: gai_strerror(rc))))")
        }
        defer { freeaddrinfo(result) }
        var lastError = "no address"
        var info: UnsafeMutablePointer<addrinfo>? = first
        let deadline = Date().addingTimeInterval(options.connectTimeout)
        while let current = info {
            info = current.pointee.ai_next
            let fd = socket(current.pointee.ai_family, current.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), current.pointee.ai_protocol)
            guard fd >= 0 else {
                lastError = String(cString: strerror(errno))
                continue
            }
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            if Glibc.connect(fd, current.pointee.ai_addr, current.pointee.ai_addrlen) == 0 { return fd }
            if errno == EINPROGRESS {
                var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                var ready: Int32
                repeat {
                    ready = poll(&pfd, 1, Int32(max(0, deadline.timeIntervalSinceNow * 1000).rounded(.up)))
                } while ready < 0 && errno == EINTR
                if ready > 0 {
                    var soError: Int32 = 0
                    var length = socklen_t(MemoryLayout<Int32>.size)
                    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soError, &length)
                    if soError == 0 { return fd }
                    lastError = String(cString: strerror(soError))
                } else {
                    lastError = "no answer within \(seconds(options.connectTimeout))"
                }
            } else {
                lastError = String(cString: strerror(errno))
            }
            close(fd)
        }
        throw MQTTError(.unreachable, broker: broker, "cannot reach the MQTT broker at \(broker) (\(lastError.lowercased())) — \(hint)")
    }

    /// Whether `topic` is a topic name MQTT 3.1.1 allows in a PUBLISH (no wildcards, no NUL, 1...65535 bytes).
    public static func isValidTopicName(_ topic: [UInt8]) -> Bool {
        MQTTPacket.validTopicName(topic)
    }

    /// A duration for messages ("5 s", "0.5 s").
    public static func seconds(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value)) s" : String(format: "%.1f s", value)
    }
}
