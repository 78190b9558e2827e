import EdgeFormat
import EdgeTransfer
import EdgeRuntime
import EdgeSplit
import Foundation

/// `edgec run --split DIR`: head -> encode -> decode -> tail in this process.
struct SplitRun {
    var directory: String
    var inputs: [String]
    var outputDir: String
    var json: Bool

    func run() throws {
        try failing {
            let pipeline = try SplitManifest.pipeline(directory)
            let head = pipeline.head
            let entering = Execution(range: 0..<head.model.ops.count, inputs: head.model.graph.inputs.map { Int($0) },
                                     outputs: head.model.graph.outputs.map { Int($0) })
            try entering.load(inputs, into: head)
            let input = Array(head.read(tensor: entering.inputs[0]))
            let frame = try pipeline.run(input)
            do {
                try FileManager.default.createDirectory(atPath: outputDir, withIntermediateDirectories: true)
            } catch {
                throw EdgeError(.io, "cannot create output directory '\(outputDir)'")
            }
            var written: [[String: Any]] = []
            let tm = pipeline.tail.model
            for (k, id) in pipeline.outputs.enumerated() {
                let t = tm.tensors[id]
                let path = (outputDir as NSString).appendingPathComponent(Utf8Text.safeFileName(t.name) + ".npy")
                try NpyArray(shape: t.shape, data: Array(pipeline.output(k))).write(path)
                written.append(["name": t.name, "file": path, "shape": t.shape])
            }
            let ms = { (ns: UInt64) in Double(ns) / 1e6 }
            if json {
                print(jsonString(["outputs": written, "transfer_bytes": frame.bytes.count,
                                  "transfer_shape": pipeline.transferShape, "encoding": "\(pipeline.encoding)",
                                  "time_ms": ["head": ms(frame.headNs), "encode": ms(frame.encodeNs),
                                              "decode": ms(frame.decodeNs), "tail": ms(frame.tailNs)]] as [String: Any]))
            } else {
                for w in written { print("wrote \(w["file"]!) \(ShapeText.of(w["shape"] as! [Int]))") }
                print(String(format: "head %.3f ms, %d bytes %@ %@ on the wire, tail %.3f ms", ms(frame.headNs), frame.bytes.count,
                             "\(pipeline.encoding)", ShapeText.of(pipeline.transferShape), ms(frame.tailNs)))
            }
        }
    }
}
