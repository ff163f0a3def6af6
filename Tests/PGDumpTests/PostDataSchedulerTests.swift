@testable import PGDump
import Testing

// The post-data hand-out without a server: lock conflicts, and when a build may use parallel
// index workers ("alone").

@Suite("post-data scheduler")
struct PostDataSchedulerTests {
    func entry(_ id: Int32, _ desc: String, on table: Int32, after: [Int32] = []) -> TOCEntry {
        var e = TOCEntry(dumpId: id, tag: "t item\(id)", desc: desc, section: .postData)
        e.dependencies = [table] + after
        return e
    }

    @Test("two connections, three indexes ready: the first is not alone (the other connection takes the next)")
    func notAloneWhileOthersWait() throws {
        let items = [entry(10, "INDEX", on: 1), entry(11, "INDEX", on: 1), entry(12, "INDEX", on: 1)]
        let scheduler = PostDataScheduler(items, tableIds: [1], connections: 2)
        let first = try #require(scheduler.next())
        #expect(first.0.dumpId == 10 && !first.alone, "another build can start beside it")
        let second = try #require(scheduler.next())
        #expect(second.0.dumpId == 11 && !second.alone)
        _ = scheduler.finish(first.0)
        _ = scheduler.finish(second.0)
        let last = try #require(scheduler.next())
        #expect(last.0.dumpId == 12 && last.alone, "the last build, with nothing beside it, gets the workers")
        _ = scheduler.finish(last.0)
        #expect(scheduler.next() == nil)
    }

    @Test("a constraint runs alone on its table: nothing else on that table starts beside it")
    func constraintExcludesItsTable() throws {
        let items = [entry(10, "CONSTRAINT", on: 1), entry(11, "INDEX", on: 1), entry(12, "INDEX", on: 2)]
        let scheduler = PostDataScheduler(items, tableIds: [1, 2], connections: 2)
        let first = try #require(scheduler.next())
        #expect(first.0.dumpId == 10 && !first.alone, "the index on the other table can run beside it")
        let second = try #require(scheduler.next())
        #expect(second.0.dumpId == 12, "the index on the constraint's table waits")
        _ = scheduler.finish(first.0)
        let third = try #require(scheduler.next())
        #expect(third.0.dumpId == 11)
    }

    @Test("one connection: every build may use the workers")
    func oneConnection() throws {
        let items = [entry(10, "INDEX", on: 1), entry(11, "INDEX", on: 1)]
        let scheduler = PostDataScheduler(items, tableIds: [1], connections: 1)
        let first = try #require(scheduler.next())
        #expect(first.alone)
        _ = scheduler.finish(first.0)
        #expect(try #require(scheduler.next()).alone)
    }
}
