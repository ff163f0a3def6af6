@testable import PGDump
import Testing

// Indexes and constraints rendered from hand-built catalog rows: no server (helpers in RenderTests.swift).

@Suite("rendered DDL: indexes and constraints")
struct PostDataRenderTests {
    func index(
        _ name: String, definition: String? = nil, clustered: Bool = false, replicaIdentity: Bool = false,
        forConstraint: Bool = false, parentIndex: String? = nil, statistics: String? = nil
    ) -> IndexRow {
        IndexRow(
            oid: "16800", tableOID: "16400", name: name, schema: "public", q: "public.\(quoteIdent(name))", qname: quoteIdent(name),
            tableQ: "public.t", definition: definition ?? "CREATE INDEX \(name) ON public.t USING btree (id)", isClustered: clustered,
            isReplicaIdentity: replicaIdentity, owner: "snap", comment: nil, forConstraint: forConstraint,
            parentIndex: parentIndex, parentOID: parentIndex == nil ? nil : "16801", statistics: statistics)
    }

    func constraint(
        _ name: String, type: String, definition: String, relkind: String = "r", validated: Bool = true, isLocal: Bool = true,
        tableIsPartition: Bool = false, parentOID: String = "0", indexOID: String = "0", clustered: Bool = false,
        replicaIdentity: Bool = false, qindex: String? = nil
    ) -> ConstraintRow {
        ConstraintRow(
            oid: "16900", name: name, qname: quoteIdent(name), type: type, isValidated: validated, tableOID: "16400", table: "t",
            schema: "public", q: "public.t", definition: definition, owner: "snap", comment: nil, relkind: relkind,
            parentOID: parentOID, isLocal: isLocal, tableIsPartition: tableIsPartition, indexOID: indexOID,
            indexClustered: clustered, indexReplicaIdentity: replicaIdentity, qindex: qindex)
    }

    @Test("an index: CREATE INDEX, then CLUSTER ON, per-column statistics and REPLICA IDENTITY; none for a constraint's index")
    func indexes() throws {
        let object = try #require(SchemaReader.indexObject(index(
            "t_id_idx", clustered: true, replicaIdentity: true, statistics: "ALTER INDEX public.t_id_idx ALTER COLUMN 1 SET STATISTICS 300;")))
        #expect(object.key == classKey(16800))
        #expect(object.kind == .index)
        #expect(object.dependencies == [classKey(16400)])
        let entry = object.entries[0]
        #expect(entry.defn == """
            CREATE INDEX t_id_idx ON public.t USING btree (id);

            ALTER TABLE public.t CLUSTER ON "t_id_idx";

            ALTER INDEX public.t_id_idx ALTER COLUMN 1 SET STATISTICS 300;

            ALTER TABLE ONLY public.t REPLICA IDENTITY USING INDEX t_id_idx;

            """)
        #expect(entry.tag == "t_id_idx")
        #expect(entry.desc == "INDEX")
        #expect(entry.section == .postData)
        #expect(entry.dropStmt == "DROP INDEX public.t_id_idx;\n")
        #expect(entry.tableOID == "1259")
        #expect(entry.oid == "16800")
        #expect(entry.tablespace == "")
        #expect(SchemaReader.indexObject(index("t_pkey", forConstraint: true)) == nil)
        #expect(SchemaReader.indexAttach(index("t_id_idx")) == nil)
    }

    @Test("a partition's index is attached to its parent's, after both (also when a constraint makes it)")
    func indexAttach() throws {
        let attach = try #require(SchemaReader.indexAttach(index("p1_pkey", forConstraint: true, parentIndex: "public.p_pkey")))
        #expect(attach.key == ObjectKey(catalog: 5, oid: 16800))
        #expect(attach.kind == .indexAttach)
        #expect(attach.dependencies == [classKey(16800), classKey(16801)])
        #expect(attach.entries[0].desc == "INDEX ATTACH")
        #expect(attach.entries[0].defn == "ALTER INDEX public.p_pkey ATTACH PARTITION public.p1_pkey;\n")
    }

    @Test("constraints: ADD CONSTRAINT with its index's CLUSTER ON and REPLICA IDENTITY; a foreign key on a partitioned table without ONLY, its conindid ignored")
    func constraints() {
        let key = SchemaReader.constraintEntry(constraint(
            "t_pkey", type: "p", definition: "PRIMARY KEY (id)", indexOID: "16801", clustered: true, replicaIdentity: true, qindex: "t_pkey"))
        #expect(key.defn == """
            ALTER TABLE ONLY public.t
                ADD CONSTRAINT t_pkey PRIMARY KEY (id);

            ALTER TABLE public.t CLUSTER ON t_pkey;

            ALTER TABLE ONLY public.t REPLICA IDENTITY USING INDEX t_pkey;

            """)
        #expect(key.tag == "t t_pkey")
        #expect(key.desc == "CONSTRAINT")
        #expect(key.section == .postData)
        #expect(key.dropStmt == "ALTER TABLE ONLY public.t DROP CONSTRAINT t_pkey;\n")
        #expect(key.tableOID == "2606")
        #expect(key.oid == "16900")
        #expect(key.tablespace == "")

        let fk = SchemaReader.constraintEntry(constraint(
            "t_ref_fkey", type: "f", definition: "FOREIGN KEY (ref) REFERENCES public.r(id)", relkind: "p", indexOID: "16802",
            clustered: true, qindex: "r_pkey"))
        #expect(fk.defn == "ALTER TABLE public.t\n    ADD CONSTRAINT t_ref_fkey FOREIGN KEY (ref) REFERENCES public.r(id);\n")
        #expect(fk.desc == "FK CONSTRAINT")
        // On a plain table, ONLY as for every other constraint.
        let plainFK = SchemaReader.constraintEntry(constraint("t_ref_fkey", type: "f", definition: "FOREIGN KEY (ref) REFERENCES public.r(id)"))
        #expect(plainFK.defn == "ALTER TABLE ONLY public.t\n    ADD CONSTRAINT t_ref_fkey FOREIGN KEY (ref) REFERENCES public.r(id);\n")
        #expect(fk.tablespace == nil)
        let check = SchemaReader.constraintEntry(constraint("t_n_check", type: "c", definition: "CHECK ((n > 0)) NOT VALID", validated: false))
        #expect(check.defn == "ALTER TABLE ONLY public.t\n    ADD CONSTRAINT t_n_check CHECK ((n > 0)) NOT VALID;\n")
        #expect(check.desc == "CHECK CONSTRAINT")
    }

    @Test("which constraints are entries of their own: not validated local CHECKs inline in CREATE TABLE, inherited CHECKs, or foreign keys cloned onto partitions")
    func separateConstraints() {
        #expect(!constraint("c", type: "c", definition: "CHECK (true)").isSeparate)
        #expect(!constraint("c", type: "c", definition: "CHECK (true)", isLocal: false, tableIsPartition: true).isSeparate)
        #expect(!constraint("c", type: "c", definition: "CHECK (true)", validated: false, isLocal: false).isSeparate)
        #expect(constraint("c", type: "c", definition: "CHECK (true)", validated: false).isSeparate)
        #expect(constraint("f", type: "f", definition: "FOREIGN KEY (a) REFERENCES public.r(id)").isSeparate)
        #expect(!constraint("f", type: "f", definition: "FOREIGN KEY (a) REFERENCES public.r(id)", parentOID: "16950").isSeparate)
        #expect(constraint("u", type: "u", definition: "UNIQUE (a)", isLocal: false, parentOID: "16950").isSeparate)
    }
}
