import Foundation
import PGDump
import Testing

@testable import SentientSnap

/// The progress model: estimates corrected as tables finish, a fraction that never goes back and
/// reaches 100 % only at the end, a time left that follows the pace; the line fits its width.
@Suite("progress model")
struct ProgressModelTests {
    /// Runs `model` through `updates` (step, bytes, rows), one snapshot a second, and returns the fractions.
    private func fractions(_ model: inout ProgressModel, _ updates: [(Int, Double, Int64?)]) -> [Double] {
        var time = 0.0
        return updates.map { step, bytes, rows in
            model.update(step, done: bytes, rows: rows)
            time += 1
            return model.snapshot(at: time).fraction
        }
    }

    private func isMonotonic(_ values: [Double]) -> Bool {
        zip(values, values.dropFirst()).allSatisfy { $0 <= $1 }
    }

    @Test("a table larger than its estimate: the estimate grows, the bar neither goes back nor reaches 100 % early")
    func estimateCorrectedUpward() {
        // The catalog says 100 bytes each; the first table really holds 400.
        var model = ProgressModel(steps: [
            ProgressStep(phase: "dump", name: "a", total: 100, estimated: true),
            ProgressStep(phase: "dump", name: "b", total: 100, estimated: true),
        ], startedAt: 0)
        var seen = fractions(&model, [(0, 50, nil), (0, 99, nil), (0, 150, nil), (0, 300, nil), (0, 400, nil), (1, 100, nil)])
        // Once table a ended at 400, b's estimate is corrected by the same factor (4x): 800 in all.
        // The raw fraction falls (500 of 800), the bar holds where it was.
        #expect(model.snapshot(at: 10).total == 800)
        #expect(seen[5] == seen[4], "\(seen)")
        seen += fractions(&model, [(1, 300, nil), (1, 390, nil)])
        #expect(seen[6] > seen[5], "\(seen)")
        #expect(isMonotonic(seen), "\(seen)")
        #expect(seen.allSatisfy { $0 < 1 }, "\(seen)")
        // The running table is never shown done while it still reads.
        model.update(1, done: 1000)
        let snapshot = model.snapshot(at: 20)
        #expect(snapshot.stepFraction < 1)
        #expect(snapshot.fraction < 1)
        #expect(snapshot.total >= snapshot.done, "the expected size is corrected to at least what was read")
        model.finish()
        let end = model.snapshot(at: 21)
        #expect(end.fraction == 1 && end.stepFraction == 1 && end.finished && end.remaining == 0)
    }

    @Test("rows extrapolate the running table: reltuples 1000, 100 rows in 10 KiB means 100 KiB expected")
    func rowsExtrapolate() {
        var model = ProgressModel(steps: [ProgressStep(phase: "dump", name: "events", total: 20_000, rows: 1000, estimated: true)], startedAt: 0)
        model.update(0, done: 10_240, rows: 100)
        let snapshot = model.snapshot(at: 1)
        #expect(abs(snapshot.total - 102_400) < 1, "\(snapshot)")
        #expect(abs(snapshot.fraction - 0.1) < 0.001, "\(snapshot)")
        #expect(snapshot.rowsTotal == 1000)
    }

    @Test("a table smaller than its estimate: the next ones are scaled down, still never backwards")
    func estimateCorrectedDownward() {
        var model = ProgressModel(steps: (0..<4).map { ProgressStep(phase: "dump", name: "t\($0)", total: 1000, estimated: true) }, startedAt: 0)
        let seen = fractions(&model, [(0, 100, nil), (0, 200, nil), (1, 10, nil), (1, 150, nil), (2, 50, nil), (2, 200, nil), (3, 100, nil), (3, 199, nil)])
        #expect(isMonotonic(seen), "\(seen)")
        #expect(seen.last! < 1 && seen.last! > 0.9, "\(seen)")
    }

    @Test("exact sizes (a restore's manifest): fractions follow the bytes; skipped phases count as done; never back")
    func restorePhases() throws {
        var model = ProgressModel(steps: ProgressPlans.restore(archiveBytes: 1000), startedAt: 0)
        var seen: [Double] = []
        var time = 0.0
        func step(_ event: RestoreEvent) {
            model.apply(event)
            time += 0.5
            seen.append(model.snapshot(at: time).fraction)
        }
        step(.phase(.verify(archiveBytes: 1000)))
        step(.verifying(bytesRead: 500))
        step(.verifying(bytesRead: 1000))
        let tables = try JSONDecoder().decode([TableDumpStats].self, from: Data("""
            [{"schema": "public", "name": "events", "rows": 100, "bytes": 6000}, {"schema": "public", "name": "small", "rows": 1, "bytes": 10}]
            """.utf8))
        step(.phase(.load(tables: tables)))
        // The checked archive is the verify phase's fixed share; learning the tables moves nothing.
        #expect(abs(seen[3] - ProgressPlans.verifyShare) < 0.0001, "\(seen)")
        step(.progress(.schema(done: 5, total: 10)))
        step(.progress(.schema(done: 10, total: 10)))
        step(.progress(.data(table: "public.events", rows: 50, bytes: 3000)))
        let half = model.snapshot(at: time)
        #expect(half.phase == "load" && half.step == "public.events" && half.stepIndex == 1 && half.stepCount == 2)
        #expect(half.rows == 50 && half.rowsTotal == 100 && half.done == 3000 && half.total == 6010)
        #expect(abs(half.stepFraction - 0.5) < 0.001)
        step(.progress(.data(table: "public.events", rows: 100, bytes: 6000)))
        step(.progress(.data(table: "public.small", rows: 1, bytes: 10)))
        step(.progress(.postData(done: 1, total: 4)))
        step(.progress(.postData(done: 4, total: 4)))
        step(.phase(.swap))
        step(.phase(.ready))  // no restart, no MQTT
        #expect(isMonotonic(seen), "\(seen)")
        #expect(seen.allSatisfy { $0 < 1 }, "\(seen)")
        #expect(model.snapshot(at: time).phase == "ready")
        model.finish()
        #expect(model.snapshot(at: time + 1).fraction == 1)
    }

    @Test("time left follows the measured pace")
    func timeLeft() {
        var model = ProgressModel(steps: [ProgressStep(phase: "load", name: "t", total: 1000)], startedAt: 0)
        var snapshot = model.snapshot(at: 0)
        for second in 1...10 {
            model.update(0, done: Double(second) * 50)
            snapshot = model.snapshot(at: Double(second))
        }
        // 500 of 1000 bytes in 10 s at a steady 50 B/s: 10 s left.
        let remaining = try! #require(snapshot.remaining)
        #expect(abs(remaining - 10) < 1, "\(snapshot)")
        #expect(abs(snapshot.rate! - 50) < 1, "\(snapshot)")
    }

    @Test("the line fits any width, keeps the percentage and the time left, and reads as documented")
    func lineFits() {
        var model = ProgressModel(steps: [
            ProgressStep(phase: "load", name: "public.events", total: Double(512 << 20), rows: 1_980_000),
            ProgressStep(phase: "load", name: "public.game_sessions", total: Double(1 << 20), rows: 300),
        ], startedAt: 0)
        model.update(0, done: Double(100 << 20), rows: 400_000)
        _ = model.snapshot(at: 1)
        model.update(0, done: Double(200 << 20), rows: 800_000)
        let snapshot = model.snapshot(at: 3)
        for width in [20, 40, 60, 80, 100, 132, 200] {
            let line = ProgressFormat.line(snapshot, width: width)
            #expect(line.count <= width - 1, "\(width): \(line)")
            #expect(line.hasPrefix(" 38%"), "\(width): \(line)")
            if width >= 40 { #expect(line.contains("ETA "), "\(width): \(line)") }
        }
        let wide = ProgressFormat.line(snapshot, width: 200)
        #expect(wide.contains("load 1/2 public.events 39%"), "\(wide)")
        #expect(wide.contains("800,000/1,980,000 rows"), "\(wide)")
        #expect(wide.contains("200.0/513.0 MiB"), "\(wide)")
        #expect(wide.contains("MiB/s"), "\(wide)")
    }

    @Test("JSON: one object per line, restic-style keys, percent 0...1")
    func json() throws {
        var model = ProgressModel(steps: [ProgressStep(phase: "dump", name: "public.events", total: 1000, rows: 10, estimated: true)], startedAt: 0)
        model.update(0, done: 500, rows: 5, written: 80)
        let text = ProgressFormat.json(model.snapshot(at: 2))
        #expect(!text.contains("\n"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(object["message_type"] as? String == "status")
        #expect(object["phase"] as? String == "dump")
        #expect(object["step"] as? String == "public.events")
        #expect(object["percent_done"] as? Double == 0.5)
        #expect(object["rows_done"] as? Int == 5)
        #expect(object["bytes_done"] as? Int == 500)
        #expect(object["bytes_written"] as? Int == 80)
        model.finish()
        let end = try #require(try JSONSerialization.jsonObject(with: Data(ProgressFormat.json(model.snapshot(at: 3)).utf8)) as? [String: Any])
        #expect(end["message_type"] as? String == "summary")
        #expect(end["percent_done"] as? Double == 1)
    }
}
