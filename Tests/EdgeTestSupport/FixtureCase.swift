import Foundation

/// One fixture directory as Tools/make_fixtures.py writes it (Tests/Fixtures/README.md):
/// case.json naming an ONNX model, its runs' input shapes, and the .npy inputs and
/// onnxruntime outputs of each run. The one reader of that format in the tests.
public struct FixtureCase {
    public struct Run {
        public var name: String
        public var shapes: [String: [Int]]
        public var inputs: [String: String]
        public var outputs: [String: String]
    }

    public var directory: URL
    public var model: String
    public var tolerance: Float
    public var runs: [Run]
    /// Cases that must fail to compile: the error kind's name, and the node it names.
    public var expectError: String?
    public var expectNode: String?

    public static var root: URL { TestPaths.fixtures }

    /// Every case (a directory with a case.json) below Tests/Fixtures/`group`, by name.
    public static func all(in group: String) throws -> [FixtureCase] {
        let dir = root.appendingPathComponent(group)
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        return try names.compactMap { name in
            let caseDir = dir.appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: caseDir.appendingPathComponent("case.json").path) else { return nil }
            return try FixtureCase(directory: caseDir)
        }
    }

    /// Tests/Fixtures/`group`/`name`.
    public static func named(_ name: String, in group: String = "models") throws -> FixtureCase {
        try FixtureCase(directory: root.appendingPathComponent(group).appendingPathComponent(name))
    }

    public init(directory: URL) throws {
        self.directory = directory
        let data = try Data(contentsOf: directory.appendingPathComponent("case.json"))
        guard let json = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw TestFailure(message: "\(directory.path)/case.json is not an object")
        }
        model = json["model"] as? String ?? "model.onnx"
        tolerance = Float(json["tolerance"] as? Double ?? 1e-4)
        expectError = json["expect_error"] as? String
        expectNode = json["node"] as? String ?? json["expect_node"] as? String
        runs = (json["runs"] as? [[String: Any]] ?? []).map { r in
            Run(name: r["name"] as? String ?? "run",
                shapes: (r["shapes"] as? [String: [Int]]) ?? [:],
                inputs: (r["inputs"] as? [String: String]) ?? [:],
                outputs: (r["outputs"] as? [String: String]) ?? [:])
        }
    }

    public var name: String { directory.lastPathComponent }
    public var modelPath: String { directory.appendingPathComponent(model).path }

    /// A file of this case (an input or output .npy).
    public func path(_ file: String) -> String { directory.appendingPathComponent(file).path }

    /// `--input NAME=FILE` arguments for `run`, sorted by name.
    public func inputArguments(_ run: Run) -> [String] {
        run.inputs.keys.sorted().flatMap { ["--input", $0 + "=" + path(run.inputs[$0]!)] }
    }

    /// `--shape NAME=AxBxC` arguments for `run`, sorted by name.
    public func shapeArguments(_ run: Run) -> [String] {
        run.shapes.keys.sorted().flatMap { ["--shape", $0 + "=" + run.shapes[$0]!.map(String.init).joined(separator: "x")] }
    }
}
