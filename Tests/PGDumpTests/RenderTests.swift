@testable import PGDump
@testable import PGWire
import Testing

// The DDL of tables, views and sequences rendered from hand-built catalog rows: no server.
// The round trips (FidelityTests, ParityFidelityTests) check the same output against stock
// pg_dump and pg_restore; these pin the rendering rules one by one.

/// quote_ident: quotes only a name that needs it (quoteIdentifier always quotes).
func quoteIdent(_ name: String) -> String {
    name.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "_" } ? name : quoteIdentifier(name)
}

func relation(
    _ name: String, relkind: String = "r", oid: String = "16400", persistence: String = "p", isPartition: Bool = false,
    options: String? = nil, rowSecurity: Bool = false, forceRowSecurity: Bool = false, replicaIdentity: String = "d",
    isPopulated: Bool = true, partitionKey: String? = nil, partitionBound: String? = nil, parents: String? = nil,
    parentOID: String? = nil, viewDefinition: String? = nil, foreignServer: String? = nil, foreignOptions: String? = nil,
    ofType: String? = nil, accessMethod: String? = nil
) -> RelationRow {
    RelationRow(
        oid: oid, name: name, schema: "public", q: "public.\(quoteIdent(name))", owner: "snap", relkind: relkind,
        persistence: persistence, isPartition: isPartition, acl: nil, comment: nil, options: options,
        rowSecurity: rowSecurity, forceRowSecurity: forceRowSecurity, replicaIdentity: replicaIdentity,
        isPopulated: isPopulated, partitionKey: partitionKey, partitionBound: partitionBound, parents: parents,
        parentOID: parentOID, viewDefinition: viewDefinition, foreignServer: foreignServer, foreignOptions: foreignOptions,
        ofType: ofType, accessMethod: accessMethod)
}

func column(
    _ name: String, _ type: String = "integer", table: String = "16400", notNull: Bool = false, isLocal: Bool = true,
    generated: String? = nil, identity: String? = nil, identitySequence: String? = nil, identityOptions: String? = nil,
    collation: String? = nil, statisticsTarget: String? = nil, storage: String? = nil, options: String? = nil,
    compression: String? = nil, foreignOptions: String? = nil, notNullName: String? = nil, parentNotNull: Bool = false,
    parentGenerated: String? = nil
) -> ColumnRow {
    ColumnRow(
        tableOID: table, name: name, q: quoteIdent(name), type: type, notNull: notNull, isLocal: isLocal,
        generated: generated, identity: identity, identitySequence: identitySequence, identityOptions: identityOptions,
        collation: collation, comment: nil, acl: nil, statisticsTarget: statisticsTarget, storage: storage, options: options,
        compression: compression, foreignOptions: foreignOptions, notNullName: notNullName, parentNotNull: parentNotNull,
        parentGenerated: parentGenerated)
}

func classKey(_ oid: UInt32) -> ObjectKey { ObjectKey(catalog: CatalogID.pgClass, oid: oid) }

@Suite("rendered DDL: tables and views")
struct TableRenderTests {
    @Test("a table: columns with collation, generated expression and NOT NULL, then its inline CHECKs; TOC fields as pg_dump's")
    func plainTable() {
        let table = relation("t")
        let columns = [
            column("id", notNull: true),
            column("label", "text", collation: "public.c1"),
            column("twice", generated: "(id * 2)"),
        ]
        let checks = [CheckRow(tableOID: "16400", name: "t_id_check", q: "t_id_check", definition: "CHECK ((id > 0))", comment: nil)]
        let entry = SchemaReader.tableEntry(table, columns: columns, checks: checks)
        #expect(entry.defn == """
            CREATE TABLE public.t (
                id integer NOT NULL,
                label text COLLATE public.c1,
                twice integer GENERATED ALWAYS AS ((id * 2)) STORED,
                CONSTRAINT t_id_check CHECK ((id > 0))
            );

            """)
        #expect(entry.tag == "t")
        #expect(entry.desc == "TABLE")
        #expect(entry.section == .preData)
        #expect(entry.dropStmt == "DROP TABLE public.t;\n")
        #expect(entry.namespace == "public")
        #expect(entry.owner == "snap")
        #expect(entry.tableOID == "1259")
        #expect(entry.oid == "16400")
        #expect(entry.tablespace == "")
        #expect(entry.tableAM == "heap")
        #expect(SchemaReader.tableAttach(table) == nil)
    }

    @Test("an inheritance child: inherited columns left to the parent, a NOT NULL the parent lacks set after, an inherited expression not repeated")
    func inheritanceChild() {
        let table = relation("child", parents: "public.parent")
        let columns = [
            column("id", notNull: true, isLocal: false, parentNotNull: false),
            column("code", "text", notNull: true, isLocal: false, parentNotNull: true),
            column("extra", "text"),
            column("g", generated: "(id + 1)", parentGenerated: "(id + 1)"),
        ]
        #expect(SchemaReader.tableDefinition(table, columns: columns, checks: []) == """
            CREATE TABLE public.child (
                extra text,
                g integer
            )
            INHERITS (public.parent);

            ALTER TABLE ONLY public.child ALTER COLUMN id SET NOT NULL;

            """)
    }

    @Test("a partition is created whole (inherited columns and expressions included) and attached after; a partitioned table has PARTITION BY, no access method, no data")
    func partitions() throws {
        let partition = relation(
            "p1", oid: "16501", isPartition: true, partitionBound: "FOR VALUES FROM (1) TO (10)", parents: "public.p", parentOID: "16500")
        let columns = [
            column("id", table: "16501", notNull: true, isLocal: false, parentNotNull: true),
            column("g", table: "16501", isLocal: false, generated: "(id + 1)", parentGenerated: "(id + 1)"),
        ]
        #expect(SchemaReader.tableDefinition(partition, columns: columns, checks: []) == """
            CREATE TABLE public.p1 (
                id integer NOT NULL,
                g integer GENERATED ALWAYS AS ((id + 1)) STORED
            );

            """)
        let attach = try #require(SchemaReader.tableAttach(partition))
        #expect(attach.key == ObjectKey(catalog: 6, oid: 16501))
        #expect(attach.kind == .attach)
        #expect(attach.dependencies == [classKey(16501), classKey(16500)])
        #expect(attach.entries.count == 1)
        #expect(attach.entries[0].desc == "TABLE ATTACH")
        #expect(attach.entries[0].section == .preData)
        #expect(attach.entries[0].defn == "ALTER TABLE ONLY public.p ATTACH PARTITION public.p1 FOR VALUES FROM (1) TO (10);\n")

        let parent = relation("p", relkind: "p", oid: "16500", partitionKey: "RANGE (id)")
        let entry = SchemaReader.tableEntry(parent, columns: [column("id", table: "16500")], checks: [])
        #expect(entry.defn == "CREATE TABLE public.p (\n    id integer\n)\nPARTITION BY RANGE (id);\n")
        #expect(entry.tableAM == nil)
        #expect(entry.tablespace == "")
        #expect(SchemaReader.tableData(parent, columns: []) == nil)
    }

    @Test("a typed table takes its columns from the type: only NOT NULL is written, and no column list when there is none")
    func typedTable() {
        let columns = [column("a", notNull: true), column("b", "text")]
        #expect(SchemaReader.tableDefinition(relation("typed", ofType: "public.pair"), columns: columns, checks: [])
            == "CREATE TABLE public.typed OF public.pair (\n    a NOT NULL\n);\n")
        #expect(SchemaReader.tableDefinition(relation("typed", ofType: "public.pair"), columns: [column("a")], checks: [])
            == "CREATE TABLE public.typed OF public.pair;\n")
    }

    @Test("a foreign table: SERVER and OPTIONS, column options after, no replica identity, tablespace or access method, no data")
    func foreignTable() {
        let table = relation("ft", relkind: "f", replicaIdentity: "n", foreignServer: "srv", foreignOptions: "schema_name 'x'")
        let entry = SchemaReader.tableEntry(table, columns: [column("c", foreignOptions: "column_name 'c'")], checks: [])
        #expect(entry.defn == """
            CREATE FOREIGN TABLE public.ft (
                c integer
            )
            SERVER srv
            OPTIONS (
                schema_name 'x'
            );

            ALTER FOREIGN TABLE public.ft ALTER COLUMN c OPTIONS (
                column_name 'c'
            );

            """)
        #expect(entry.desc == "FOREIGN TABLE")
        #expect(entry.dropStmt == "DROP FOREIGN TABLE public.ft;\n")
        #expect(entry.tablespace == nil)
        #expect(entry.tableAM == nil)
        #expect(SchemaReader.tableData(table, columns: []) == nil)
    }

    @Test("what CREATE TABLE cannot say follows it, in pg_dump's order: identity, statistics, storage, options, compression, replica identity, row security")
    func alterations() {
        let table = relation(
            "u", persistence: "u", options: "fillfactor=70", rowSecurity: true, forceRowSecurity: true, replicaIdentity: "f",
            accessMethod: "heap2")
        let columns = [
            column("id", "bigint", notNull: true, identity: "a", identitySequence: "public.u_id_seq",
                   identityOptions: "    START WITH 1\n    INCREMENT BY 1\n    MINVALUE 1\n    MAXVALUE 9223372036854775807\n    CACHE 1",
                   statisticsTarget: "500"),
            column("body", "text", storage: "EXTERNAL", options: "n_distinct=100", compression: "lz4"),
            column("n", identity: "d", identitySequence: "public.u_n_seq", identityOptions: "    START WITH 1"),
        ]
        let entry = SchemaReader.tableEntry(table, columns: columns, checks: [])
        #expect(entry.defn == """
            CREATE UNLOGGED TABLE public.u (
                id bigint NOT NULL,
                body text,
                n integer
            )
            WITH (fillfactor=70);

            ALTER TABLE public.u ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
                SEQUENCE NAME public.u_id_seq
                START WITH 1
                INCREMENT BY 1
                MINVALUE 1
                MAXVALUE 9223372036854775807
                CACHE 1
            );
            ALTER TABLE ONLY public.u ALTER COLUMN id SET STATISTICS 500;
            ALTER TABLE ONLY public.u ALTER COLUMN body SET STORAGE EXTERNAL;
            ALTER TABLE ONLY public.u ALTER COLUMN body SET (n_distinct=100);
            ALTER TABLE ONLY public.u ALTER COLUMN body SET COMPRESSION lz4;
            ALTER TABLE public.u ALTER COLUMN n ADD GENERATED BY DEFAULT AS IDENTITY (
                SEQUENCE NAME public.u_n_seq
                START WITH 1
            );
            ALTER TABLE ONLY public.u REPLICA IDENTITY FULL;
            ALTER TABLE public.u ENABLE ROW LEVEL SECURITY;
            ALTER TABLE ONLY public.u FORCE ROW LEVEL SECURITY;

            """)
        #expect(entry.tableAM == "heap2")
        #expect(SchemaReader.tableDefinition(relation("r", replicaIdentity: "n"), columns: [column("a")], checks: [])
            == "CREATE TABLE public.r (\n    a integer\n);\n\nALTER TABLE ONLY public.r REPLICA IDENTITY NOTHING;\n")
    }

    @Test("a NOT NULL constraint's name (PostgreSQL 18) is kept when it is not the default one")
    func notNullNames() {
        let columns = [
            column("id", notNull: true, notNullName: "t_id_not_null"),
            column("n", notNull: true, notNullName: "Must Have"),
        ]
        #expect(SchemaReader.tableDefinition(relation("t"), columns: columns, checks: []) == """
            CREATE TABLE public.t (
                id integer NOT NULL,
                n integer CONSTRAINT "Must Have" NOT NULL
            );

            """)
    }

    @Test("a table's rows: COPY of its stored columns (generated ones left out), no column list when it has none")
    func tableData() throws {
        let table = relation("t")
        let data = try #require(SchemaReader.tableData(table, columns: [column("id"), column("Label", "text"), column("twice", generated: "(id * 2)")]))
        #expect(data.key == ObjectKey(catalog: 2, oid: 16400))
        #expect(data.kind == .tableData)
        #expect(data.dependencies == [classKey(16400)])
        let entry = data.entries[0]
        #expect(entry.desc == "TABLE DATA")
        #expect(entry.section == .data)
        #expect(entry.defn == nil)
        #expect(entry.hadDumper)
        #expect(entry.dataOffset == .notSet)
        #expect(entry.copyStmt == "COPY public.t (id, \"Label\") FROM stdin;\n")
        #expect(data.copyOut?.copyOutSQL == "COPY public.t (id, \"Label\") TO STDOUT")
        #expect(data.copyOut?.tableOID == 16400)

        let empty = try #require(SchemaReader.tableData(relation("e"), columns: []))
        #expect(empty.entries[0].copyStmt == "COPY public.e  FROM stdin;\n")
        #expect(empty.copyOut?.copyOutSQL == "COPY public.e TO STDOUT")
    }

    @Test("a view: its definition without the trailing semicolon, WITH options; a materialized view WITH NO DATA, its compression, REFRESH only when populated")
    func views() throws {
        let view = relation("v", relkind: "v", options: "security_barrier='true'", viewDefinition: " SELECT t.id\n   FROM public.t;")
        let entry = SchemaReader.viewEntry(view, columns: [column("id")])
        #expect(entry.defn == "CREATE VIEW public.v WITH (security_barrier='true') AS\n SELECT t.id\n   FROM public.t;\n")
        #expect(entry.desc == "VIEW")
        #expect(entry.dropStmt == "DROP VIEW public.v;\n")
        #expect(entry.tablespace == nil)
        #expect(entry.tableAM == nil)
        #expect(SchemaReader.materializedViewData(view) == nil)

        let matview = relation("mv", relkind: "m", oid: "16600", viewDefinition: " SELECT 1 AS one;")
        let mentry = SchemaReader.viewEntry(matview, columns: [column("one", compression: "lz4")])
        #expect(mentry.defn == """
            CREATE MATERIALIZED VIEW public.mv AS
             SELECT 1 AS one
              WITH NO DATA;

            ALTER TABLE ONLY public.mv ALTER COLUMN one SET COMPRESSION lz4;

            """)
        #expect(mentry.desc == "MATERIALIZED VIEW")
        #expect(mentry.tablespace == "")
        #expect(mentry.tableAM == "heap")
        let refresh = try #require(SchemaReader.materializedViewData(matview))
        #expect(refresh.key == ObjectKey(catalog: 1, oid: 16600))
        #expect(refresh.dependencies == [classKey(16600)])
        #expect(refresh.entries[0].desc == "MATERIALIZED VIEW DATA")
        #expect(refresh.entries[0].section == .postData)
        #expect(refresh.entries[0].defn == "REFRESH MATERIALIZED VIEW public.mv;\n")
        #expect(SchemaReader.materializedViewData(relation("mv", relkind: "m", isPopulated: false, viewDefinition: "SELECT 1")) == nil)
    }

    @Test("decoding a catalog row names the column a view or foreign table cannot do without")
    func decodingNamesTheMissingColumn() throws {
        let names = ["oid", "relname", "nspname", "q", "owner", "relkind", "viewdef", "foreign_server"]
        func row(_ relkind: String) -> Row {
            Row(columns: names, values: ["16400", "v", "public", "public.v", "snap", relkind, nil, nil])
        }
        #expect(throws: Never.self) { try RelationRow(row("r")) }
        let view = #expect(throws: PGError.self) { try RelationRow(row("v")) }
        #expect(view?.message.contains("viewdef") == true)
        let foreign = #expect(throws: PGError.self) { try RelationRow(row("f")) }
        #expect(foreign?.message.contains("foreign_server") == true)
        let columnRow = #expect(throws: PGError.self) {
            try ColumnRow(Row(columns: ["attrelid", "attname", "q"], values: ["16400", "id", "id"]))
        }
        #expect(columnRow?.message.contains("type") == true)
    }
}

@Suite("rendered DDL: sequences")
struct SequenceRenderTests {
    func sequence(
        _ type: String = "bigint", start: Int64 = 1, increment: Int64 = 1, min: Int64 = 1, max: Int64 = Int64.max,
        cache: Int64 = 1, cycle: Bool = false, owned: Bool = false
    ) -> SequenceRow {
        SequenceRow(
            type: type, start: start, increment: increment, min: min, max: max, cache: cache, cycle: cycle,
            ownedTable: owned ? "16400" : nil, ownedColumn: owned ? "id" : nil, ownedTableQ: owned ? "public.t" : nil)
    }

    @Test("the bounds the type and direction imply print as NO MINVALUE/NO MAXVALUE; AS only when not bigint")
    func defaultBounds() {
        let s = relation("s", relkind: "S", oid: "16700")
        #expect(SchemaReader.sequenceDefinition(s, sequence("integer", max: Int64(Int32.max))) == """
            CREATE SEQUENCE public.s
                AS integer
                START WITH 1
                INCREMENT BY 1
                NO MINVALUE
                NO MAXVALUE
                CACHE 1;

            """)
        #expect(SchemaReader.sequenceDefinition(s, sequence(start: -1, increment: -1, min: Int64.min, max: -1)) == """
            CREATE SEQUENCE public.s
                START WITH -1
                INCREMENT BY -1
                NO MINVALUE
                NO MAXVALUE
                CACHE 1;

            """)
    }

    @Test("other bounds, cache and CYCLE are written; an unlogged sequence says so")
    func explicitBounds() {
        let s = relation("s", relkind: "S", persistence: "u")
        #expect(SchemaReader.sequenceDefinition(s, sequence("smallint", start: 5, increment: 5, min: 5, max: 100, cache: 10, cycle: true)) == """
            CREATE UNLOGGED SEQUENCE public.s
                AS smallint
                START WITH 5
                INCREMENT BY 5
                MINVALUE 5
                MAXVALUE 100
                CACHE 10
                CYCLE;

            """)
        // A descending smallint's implied minimum is the type's.
        #expect(SchemaReader.sequenceDefinition(relation("d", relkind: "S"), sequence("smallint", start: -1, increment: -1, min: Int64(Int16.min), max: 0))
            .contains("    NO MINVALUE\n    MAXVALUE 0\n"))
    }

    @Test("the SEQUENCE entry, OWNED BY after the sequence and its table, SEQUENCE SET with the state")
    func entries() throws {
        let s = relation("s", relkind: "S", oid: "16700")
        let entry = SchemaReader.sequenceEntry(s, sequence())
        #expect(entry.desc == "SEQUENCE")
        #expect(entry.section == .preData)
        #expect(entry.dropStmt == "DROP SEQUENCE public.s;\n")
        #expect(entry.tableOID == "1259")
        #expect(entry.oid == "16700")
        #expect(entry.tablespace == nil)
        #expect(SchemaReader.sequenceOwnedBy(s, sequence()) == nil)
        let owned = try #require(SchemaReader.sequenceOwnedBy(s, sequence(owned: true)))
        #expect(owned.key == ObjectKey(catalog: 3, oid: 16700))
        #expect(owned.kind == .sequenceOwnedBy)
        #expect(owned.dependencies == [classKey(16700), classKey(16400)])
        #expect(owned.entries[0].desc == "SEQUENCE OWNED BY")
        #expect(owned.entries[0].defn == "ALTER SEQUENCE public.s OWNED BY public.t.id;\n")
        let set = SchemaReader.sequenceSet(q: "public.s", name: "s", schema: "public", owner: "snap", sequenceKey: classKey(16700), lastValue: 42, isCalled: true)
        #expect(set.key == ObjectKey(catalog: 4, oid: 16700))
        #expect(set.dependencies == [classKey(16700)])
        #expect(set.entries[0].desc == "SEQUENCE SET")
        #expect(set.entries[0].section == .data)
        #expect(set.entries[0].defn == "SELECT pg_catalog.setval('public.s', 42, true);\n")
    }
}
