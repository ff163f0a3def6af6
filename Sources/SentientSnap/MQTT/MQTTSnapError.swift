import RoomWires

extension MQTTError {
    /// The room-level error for this failure (exit statuses: unreachable 69, auth 77, else 1).
    public var snapError: SnapError {
        SnapError(SnapError.classify(self), message, underlying: self)
    }
}
