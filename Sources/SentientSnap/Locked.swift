import Synchronization

/// A `Mutex` that closures and threads can share: a Mutex cannot be copied into a closure, a
/// class holding one can (and is Sendable with no unchecked claim).
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: Value) { mutex = Mutex(value) }

    func withLock<R: Sendable, E: Error>(_ body: (inout Value) throws(E) -> R) throws(E) -> R {
        try mutex.withLock { (value: inout sending Value) throws(E) -> R in try body(&value) }
    }
}
