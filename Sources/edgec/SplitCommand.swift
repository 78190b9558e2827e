import ArgumentParser
import EdgeFormat
import EdgeTransfer
import EdgeRuntime
import EdgeSplit
import Foundation

struct SplitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "split",
        abstract: "Split a .edgm model in two at a cut, with a Transfer Layer between the halves.",
        discussion: """
            Writes DIR/head.edgm (layers 0..LAYER, then the Transfer Layer's first half),
            DIR/tail.edgm (its second half, then the remaining layers) and DIR/split.json.
            The cut must be clean: exactly one tensor crosses it (not inside a residual
            block). An invalid one is refused with the reason and the list of valid cuts.

            Transfer Layers (all made of existing ops, so any Edge runtime runs them):
              none       the cut tensor as it is
              pool2      2x2 max-pool on the head, nearest 2x up-sample on the tail (ScissionTL)
              pca:K      1x1 conv onto the K principal channel directions (fitted on
                         --calibration), and back (+ mean) on the tail
              pca:auto   the smallest K explaining --fidelity of the channel variance
            Encodings on the wire: f32, f16, u8 (per-channel scale and offset); frames are
            zlib-deflated when that makes them smaller (--no-zlib to turn off). Format:
            Formats/TRANSFER.md.

            split.json reports transfer_bytes (mean bytes per frame actually sent, measured on
            the calibration inputs), the time the split adds on each side, and fidelity against
            the unsplit model (max/mean relative error, top-1 agreement for classifiers). With
            --eval and --labels also the test accuracy of both.
            """)

    @Argument(help: "The .edgm model.")
    var model: String

    @Option(help: ArgumentHelp("Cut after this layer (index or op name from `edgec inspect`).", valueName: "LAYER"))
    var at: String

    @Option(name: .customLong("tl"), help: ArgumentHelp("Transfer Layer: none, pool2, pca:K, pca:auto.", valueName: "KIND"))
    var tl: String = "none"

    @Option(help: "pca:auto: fraction of the channel variance K must explain, in (0, 1].")
    var fidelity: Double = 0.99

    @Option(help: ArgumentHelp("Wire encoding: f32, f16, u8.", valueName: "ENC"))
    var transfer: String = "f32"

    @Flag(name: .customLong("no-zlib"), help: "Never deflate frames.")
    var noZlib = false

    @Option(help: ArgumentHelp("Directory (or file) of .npy model inputs: PCA fit, bytes, times, fidelity. Without it: 8 seeded random inputs (not for pca).", valueName: "DIR"))
    var calibration: String?

    @Option(name: .customLong("calibration-limit"), help: "Use at most this many calibration samples.")
    var calibrationLimit: Int = 256

    @Option(name: .customLong("eval"), help: ArgumentHelp("Directory (or file) of .npy inputs to evaluate on (e.g. a held-out test set).", valueName: "DIR"))
    var evaluation: String?

    @Option(help: ArgumentHelp("A .npy of class ids for --eval (one per sample): reports test accuracy split vs unsplit.", valueName: "FILE.npy"))
    var labels: String?

    @Option(name: .shortAndLong, help: ArgumentHelp("Output directory (created if missing).", valueName: "DIR"))
    var output: String

    @Flag(name: .customLong("json"), help: "Print split.json to stdout.")
    var json = false

    func run() throws {
        try failing {
            guard calibrationLimit >= 1 else { throw EdgeError(.invalidArgument, "--calibration-limit must be at least 1") }
            guard labels == nil || evaluation != nil else { throw EdgeError(.invalidArgument, "--labels needs --eval") }
            var options = SplitOptions(at: at)
            options.transferLayer = try TransferLayerKind.parse(tl)
            options.fidelity = fidelity
            options.encoding = try TransferEncoding.parse(transfer)
            options.zlib = !noZlib
            options.calibration = calibration
            options.calibrationLimit = calibrationLimit
            options.evaluation = evaluation
            options.labels = labels
            let result = try Splitter.split(modelPath: model, options: options, progress: { if !json { note($0) } })
            do {
                try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
            } catch {
                throw EdgeError(.io, "cannot create output directory '\(output)'")
            }
            let dir = output as NSString
            try FileIO.write(dir.appendingPathComponent("head.edgm"), result.head)
            try FileIO.write(dir.appendingPathComponent("tail.edgm"), result.tail)
            let text = result.report.jsonText()
            try FileIO.write(dir.appendingPathComponent("split.json"), Array(text.utf8))
            if json {
                print(text, terminator: "")
                return
            }
            let r = result.report
            let f = r.json
            let fid = r.calibration
            print("cut after layer \(r.cut.layer) '\(r.cutOp)': '\(r.cutName)' \(ShapeText.of(r.cutShape)) -> \(r.transferLayerName) \(ShapeText.of(r.transferShape)) as \(r.encoding)")
            if let e = r.explained { print(String(format: "  PCA: K = %d explains %.4f of the channel variance", r.k ?? 0, e)) }
            print(String(format: "  transfer: %.0f bytes/frame (f32 cut tensor %d; without zlib %.0f)",
                         r.frames.meanBytes, r.cutShape.reduce(4, *), (f["transfer"] as! [String: Any])["bytes_without_zlib"] as! Double))
            let t = f["time_ms"] as! [String: Double]
            print(String(format: "  time: +%.3f ms on the head, +%.3f ms on the tail (unsplit %.3f ms)", t["added_head"]!, t["added_tail"]!, t["unsplit"]!))
            var line = String(format: "  fidelity on %d %@ samples: max rel %.3g, mean rel %.3g", fid.samples, fid.source == "random" ? "random" : "calibration", fid.worstMaxRel, fid.meanRel)
            if let a = fid.json["top1_agreement"] as? Double { line += String(format: ", top-1 agreement %.4f", a) }
            print(line)
            if let e = r.evaluation?.json, let su = e["accuracy_unsplit"] as? Double, let ss = e["accuracy_split"] as? Double {
                print(String(format: "  evaluation on %d samples: accuracy %.4f split vs %.4f unsplit", e["samples"] as! Int, ss, su))
            }
            print("wrote \(dir.appendingPathComponent("head.edgm")) (\(humanBytes(r.headBytes))), \(dir.appendingPathComponent("tail.edgm")) (\(humanBytes(r.tailBytes))), \(dir.appendingPathComponent("split.json"))")
        }
    }
}
