import Foundation
@testable import S3
import Testing

/// `Initiated` dates of a multipart listing come from the store: `make fuzz` (target s3-xml)
/// found one that crashed the process inside ICU's date parser.
@Suite("S3 dates from the store")
struct ParseDateTests {
    @Test("a date with a very long fraction is refused instead of crashing ICU (SIGFPE)")
    func longFraction() {
        #expect(S3Client.parseDate("2024-01-01T00:00:00.00066666666666666666666666666666666Z") == nil)
    }

    @Test("the dates stores write are read, with and without a fraction")
    func usualDates() {
        #expect(S3Client.parseDate("2024-01-01T00:00:00.000Z") == Date(timeIntervalSince1970: 1_704_067_200))
        #expect(S3Client.parseDate("2024-01-01T00:00:00Z") == Date(timeIntervalSince1970: 1_704_067_200))
        #expect(S3Client.parseDate("2024-01-01T00:00:00.5+01:00") == Date(timeIntervalSince1970: 1_704_063_600.5))
        #expect(S3Client.parseDate("yesterday") == nil)
    }
}
