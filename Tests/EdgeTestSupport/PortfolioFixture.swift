import Foundation

/// A portfolio fixture directory (Tests/Fixtures/portfolio, Tests/Fixtures/reconvene): the
/// variants' ONNX files and samples.json (test images, onnxruntime logits, tolerance).
public struct PortfolioFixture {
    public let directory: URL

    public init(_ group: String) { directory = TestPaths.fixtures.appendingPathComponent(group) }

    /// samples.json as parsed JSON.
    public func samples() throws -> [String: Any] {
        let data = try Data(contentsOf: directory.appendingPathComponent("samples.json"))
        guard let json = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw TestFailure(message: "\(directory.path)/samples.json is not an object")
        }
        return json
    }

    /// The variants' ONNX paths, by file name.
    public func sources() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".onnx") }.sorted().map { directory.appendingPathComponent($0).path }
    }
}
