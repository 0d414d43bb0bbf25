/// Fast-function ids: each id names one case of `FastFunction` or `FastBuiltin`, and the
/// interpreter's decoding of an id (`init(id:)`) gives that case back.
import PerigeeRuntime
import XCTest

final class FastFunctionTests: XCTestCase {
    func testEveryIdDecodesToItsCase() {
        for f in FastFunction.allCases {
            XCTAssertEqual(FastFunction(id: f.rawValue), f)
            XCTAssertNil(FastBuiltin(id: f.rawValue))
        }
        for f in FastBuiltin.allCases {
            XCTAssertEqual(FastBuiltin(id: f.rawValue), f)
            XCTAssertNil(FastFunction(id: f.rawValue))
        }
    }

    func testIdsAreContiguousAndFollowTheBuiltinIds() {
        let ids = FastFunction.allCases.map(\.rawValue) + FastBuiltin.allCases.map(\.rawValue)
        XCTAssertEqual(ids, Array(ids[0]...ids[ids.count - 1]))
        XCTAssertEqual(ids[0], GCFunction.builtinFFID + 1)
        for id in [GCFunction.luaFFID, GCFunction.builtinFFID, ids[ids.count - 1] + 1, 255] {
            XCTAssertNil(FastFunction(id: id))
            XCTAssertNil(FastBuiltin(id: id))
        }
    }
}
