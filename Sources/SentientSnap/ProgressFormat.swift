import Foundation

/// How a progress snapshot reads: one terminal line that fits the width, or one JSON object
/// (restic's `--json` style) for wrappers and web front ends.
public enum ProgressFormat {
    /// One line of at most `width - 1` columns (the last column would make some terminals wrap):
    /// ` 38% [=========>                  ] load 1/2 public.events 39% | 200.0/513.0 MiB | 800,000/1,980,000 rows | 50.0 MiB/s | ETA 0:07`.
    /// The bar's width follows the terminal's (a fifth, 10 to 30 columns), so it does not jump as
    /// pieces come and go; pieces are dropped, least useful first, until the line fits; the
    /// percentage and the time left stay.
    public static func line(_ s: ProgressSnapshot, width: Int) -> String {
        let limit = max(20, width) - 1
        let barWidth = min(30, max(10, width / 5))
        let percent = String(format: "%3d%%", Int((s.fraction * 100).rounded(.down)))
        var label = s.phase
        if s.stepCount > 1 { label += " \(s.stepIndex)/\(s.stepCount)" }
        if !s.step.isEmpty { label += " \(s.step)" }
        let stepPercent = s.stepCount > 1 || !s.step.isEmpty ? " \(Int((s.stepFraction * 100).rounded(.down)))%" : ""
        let eta = "ETA " + (s.finished ? "0:00" : s.remaining.map(duration) ?? "--:--")
        // Optional pieces, shown in this order: amount (with what was written), rows, rate.
        var amount: String?
        var written: String?
        if s.unit == .bytes, s.total > 0 || s.done > 0 {
            amount = bytesPair(s.done, s.total)
            written = s.written.map { " -> \(bytesText(Double($0)))" }
        } else if s.unit == .items, s.total > 1 {
            amount = "\(Int64(s.done))/\(Int64(s.total))"
        }
        var rows = s.rows.map { rows in s.rowsTotal.map { "\(count(rows))/\(count($0)) rows" } ?? "\(count(rows)) rows" }
        var rate = s.rate.flatMap { $0 > 0 ? (s.unit == .bytes ? "\(bytesText($0))/s" : String(format: "%.1f/s", $0)) : nil }
        var name = label
        var withStep = stepPercent
        while true {
            let optional = [amount.map { $0 + (written ?? "") }, rows, rate].compactMap { $0 }
            let candidate = compose(percent, bar(s.fraction, width: barWidth), name + withStep, optional, eta)
            if candidate.count <= limit { return candidate }
            // Dropped in this order: what was written, the rate, the rows, the amount, the step.
            if written != nil {
                written = nil
            } else if rate != nil {
                rate = nil
            } else if rows != nil {
                rows = nil
            } else if amount != nil {
                amount = nil
            } else if name != s.phase {
                name = s.phase
                withStep = ""
            } else {
                let bare = compose(percent, nil, name, [], eta)
                return String((bare.count <= limit ? bare : percent + " " + eta).prefix(limit))
            }
        }
    }

    static func compose(_ percent: String, _ bar: String?, _ label: String, _ optional: [String], _ eta: String) -> String {
        ([percent + (bar.map { " " + $0 } ?? "") + " " + label] + optional + [eta]).joined(separator: " | ")
    }

    static func bar(_ fraction: Double, width: Int) -> String {
        let inner = width - 2
        let filled = min(inner, Int((fraction * Double(inner)).rounded(.down)))
        let head = filled < inner && filled > 0 ? ">" : ""
        let body = String(repeating: "=", count: max(0, filled - head.count)) + head
        return "[" + body + String(repeating: " ", count: inner - body.count) + "]"
    }

    /// `0:09`, `12:34`, `1:02:03`.
    public static func duration(_ seconds: Double) -> String {
        let total = Int(min(seconds, 359_999).rounded(.up))
        let (h, m, s) = (total / 3600, total / 60 % 60, total % 60)
        return h > 0 ? String(format: "%d:%02d:%02d", h, m, s) : String(format: "%d:%02d", m, s)
    }

    /// `200.0/513.0 MiB`; each with its unit when they differ (`812.0 KiB/1.2 MiB`).
    static func bytesPair(_ done: Double, _ total: Double) -> String {
        let (a, b) = (bytesText(done), bytesText(total))
        let unitA = a.split(separator: " ").last, unitB = b.split(separator: " ").last
        return unitA == unitB && unitA != "B" ? "\(a.split(separator: " ")[0])/\(b)" : "\(a)/\(b)"
    }

    static func bytesText(_ bytes: Double) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = bytes
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(Int64(bytes)) B" : String(format: "%.1f %@", value, units[unit])
    }

    static func count(_ value: Int64) -> String {
        var digits = String(value.magnitude)
        var grouped = ""
        while digits.count > 3 {
            grouped = "," + digits.suffix(3) + grouped
            digits.removeLast(3)
        }
        return (value < 0 ? "-" : "") + digits + grouped
    }

    // MARK: - JSON

    struct Message: Encodable {
        var message_type: String
        var phase: String
        var step: String?
        var step_index: Int?
        var step_count: Int?
        var percent_done: Double
        var step_percent_done: Double
        var rows_done: Int64?
        var rows_total: Int64?
        var bytes_done: Int64?
        var bytes_total: Int64?
        var bytes_written: Int64?
        var items_done: Int64?
        var items_total: Int64?
        var bytes_per_second: Double?
        var seconds_elapsed: Double
        var seconds_remaining: Double?
    }

    /// One JSON object on one line: `message_type` is "status" while the run goes and "summary"
    /// once it finished (percent_done 1). Fractions are 0...1, as restic writes them.
    public static func json(_ s: ProgressSnapshot) -> String {
        func round(_ value: Double, _ places: Double) -> Double { (value * places).rounded() / places }
        let bytes = s.unit == .bytes
        let message = Message(
            message_type: s.finished ? "summary" : "status", phase: s.phase, step: s.step.isEmpty ? nil : s.step,
            step_index: s.stepCount > 0 ? s.stepIndex : nil, step_count: s.stepCount > 0 ? s.stepCount : nil,
            percent_done: round(s.fraction, 10_000), step_percent_done: round(s.stepFraction, 10_000),
            rows_done: s.rows, rows_total: s.rowsTotal,
            bytes_done: bytes ? Int64(s.done) : nil, bytes_total: bytes ? Int64(s.total) : nil, bytes_written: s.written,
            items_done: bytes ? nil : Int64(s.done), items_total: bytes ? nil : Int64(s.total),
            bytes_per_second: bytes ? s.rate.map { round($0, 1) } : nil,
            seconds_elapsed: round(s.elapsed, 1000), seconds_remaining: s.remaining.map { round($0, 10) })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? String(decoding: encoder.encode(message), as: UTF8.self)) ?? "{}"
    }
}
