@testable import EdgeFormat
import XCTest

/// GRPH's op code list (format 1.1): written, checked against OPS, and an unknown op code
/// refused before any op is read; 1.0 files without the list still load.
final class EdgmOpListTests: XCTestCase {
    func write(opCodeList: [UInt16], minor: UInt16) throws -> [UInt8] {
        try EdgmWriter.serialize(EdgmTestModel.model(), weights: EdgmTestModel.weights(), compressWeights: false,
                                 opCodeList: opCodeList, minor: minor)
    }

    func testWrittenFilesListTheirOpCodes() throws {
        let file = try EdgmTestModel.parse(try EdgmTestModel.bytes()).get()
        XCTAssertEqual(file.version.minor, EdgmLayout.minorVersion)
        XCTAssertEqual(EdgmLayout.minorVersion, 1)
        XCTAssertEqual(file.model.opCodes, [.copy])
    }

    func testVersion10FilesWithoutTheListStillLoad() throws {
        let file = try EdgmTestModel.parse(try write(opCodeList: [], minor: 0)).get()
        XCTAssertEqual(file.version.minor, 0)
        XCTAssertEqual(file.model.opCodes, [.copy])
    }

    func testUnknownOpCodeIsRefusedUpFront() throws {
        switch EdgmTestModel.parse(try write(opCodeList: [OpCode.copy.rawValue, 999], minor: 1)) {
        case .success: XCTFail("accepted an unknown op code")
        case .failure(let e):
            XCTAssertEqual(e.kind, .unsupported)
            XCTAssertTrue(e.message.contains("op code 999"), e.message)
        }
    }

    func testListThatDisagreesWithTheOpsIsMalformed() throws {
        for list in [[OpCode.conv.rawValue], [], [OpCode.copy.rawValue, OpCode.copy.rawValue]] {
            switch EdgmTestModel.parse(try write(opCodeList: list, minor: 1)) {
            case .success: XCTFail("accepted GRPH op codes \(list) for a model of one copy")
            case .failure(let e):
                XCTAssertEqual(e.kind, .format, e.message)
                XCTAssertTrue(e.message.contains("does not match"), e.message)
            }
        }
    }

    /// `EdgmModel.opCodes` walks `allCases` instead of sorting: that needs the cases in
    /// ascending raw order; it marks the codes used in a 64-bit mask: raw values below 64.
    func testOpCodeCasesAscendAndTheListIsDistinctAndAscending() {
        let raws = OpCode.allCases.map(\.rawValue)
        XCTAssertEqual(raws, raws.sorted())
        XCTAssertLessThan(raws.max() ?? 0, 64)
        XCTAssertEqual(Set(raws).count, raws.count)
        let order: [OpCode] = [.softmax, .conv, .binary, .conv, .reduceMean, .binary, .gemm]
        let ops = order.enumerated().map { k, code in
            OpDescription(code: code, name: "op\(k)", inputs: [], outputs: [], ints: [], floats: [])
        }
        let model = EdgmModel(metadata: [], graph: EdgmGraph(arenaBytes: 0, arenaLowerBound: 0, inputs: [], outputs: []),
                              tensors: [], ops: ops)
        XCTAssertEqual(model.opCodes, [.conv, .gemm, .binary, .softmax, .reduceMean])
        XCTAssertEqual(EdgmModel(metadata: [], graph: model.graph, tensors: [], ops: []).opCodes, [])
    }

    func testOpNamesAreTheCaseNames() {
        for code in OpCode.allCases { XCTAssertEqual(code.name, "\(code)") }
    }
}
