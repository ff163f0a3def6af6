/// A failure talking to a room's MQTT broker, with the message a technician reads.
///
/// Callers and tests match on `code`; `message` names the broker's host:port and, where it
/// helps, the setting to fix. It never contains a password.
public struct MQTTError: Error, CustomStringConvertible, Sendable {
    public enum Code: String, Sendable, Equatable, CaseIterable {
        /// Nothing answers at host:port (refused, unresolvable, connect timed out).
        case unreachable
        /// CONNACK return code 4 or 5: bad user name or password, or not authorised.
        case authenticationFailed
        /// CONNACK with another refusal (protocol version, client id, server unavailable),
        /// or a refused subscription.
        case refused
        /// The peer answered, but not in time (no CONNACK, no PUBACK, ...).
        case timeout
        /// The peer closed the connection or a socket call failed mid-way.
        case connectionLost
        /// The peer sent something that is not MQTT 3.1.1.
        case protocolViolation
        /// A capture cap (time or bytes) was exceeded.
        case limitExceeded
    }

    public var code: Code
    /// "host:port".
    public var broker: String
    public var message: String

    public init(_ code: Code, broker: String, _ message: String) {
        self.code = code
        self.broker = broker
        self.message = message
    }

    public var description: String { message }
}
