import PGWire

/// Finds objects the dump cannot reproduce yet, so a backup refuses them by name instead
/// of silently leaving them out. Each check returns human-readable object names.
struct UnsupportedObjectScanner {
    let connection: Connection

    private static let checks: [String] = [
        """
        SELECT 'security label on ' || pg_catalog.pg_describe_object(classoid, objoid, objsubid) FROM pg_catalog.pg_seclabel
        """,
    ]

    /// - Returns: the names of every object found that the dump cannot reproduce.
    func scan() throws -> [String] {
        var found: [String] = []
        for sql in Self.checks {
            for row in try connection.query(sql).rows {
                if let name = row[0] { found.append(name) }
            }
        }
        return found
    }
}
