import Foundation
@testable import S3

/// The store's XML answers as S3Client reads them (ListObjectsV2 pages, errors, multipart
/// initiate/complete/list): S3XML.parse, then the fields the client takes out of each.
let s3XMLTarget = FuzzTarget(name: "s3-xml", maxLen: 64 << 10) { bytes in
    guard let root = try? S3XML.parse(bytes) else { return }
    for entry in root.all("Contents") {
        _ = (entry["Key"], entry["Size"].flatMap { Int64($0) }, entry["ETag"])
    }
    _ = root["IsTruncated"] == "true" ? root["NextContinuationToken"] : nil
    _ = (root["UploadId"], root["ETag"], root["NextKeyMarker"], root["NextUploadIdMarker"])
    for entry in root.all("Upload") {
        _ = (entry["Key"], entry["UploadId"], entry["Initiated"].flatMap(S3Client.parseDate))
    }
    _ = S3Error.code(status: root.name == "Error" ? 500 : 404, s3Code: root["Code"])
}
