/// The code-generation layer against the runtime it describes: every helper it declares is
/// one the runtime exports, its NaN-box constants classify real values, and code built from
/// its table building blocks, compiled in process through ORC, reads real runtime tables.
import CLLVM
import PerigeeCodegen
import PerigeeLLVM
@testable import PerigeeRuntime
import XCTest

/// The smallest emitter: one function in one module.
struct TestEmitter: RuntimeCodeEmitter {
    let rt: RuntimeInterface
    let cx: LLVMContext
    let b: IRBuilder
    let function: LLVMValueRef
}

final class RuntimeInterfaceTests: XCTestCase {
    func testDeclaredHelpersAreExactlyTheRuntimesExports() {
        let exported = compiledCodeHelpers.map(\.name)
        XCTAssertEqual(Set(exported).count, exported.count, "a helper listed twice")
        XCTAssertEqual(Set(RuntimeInterface.Helper.allCases.map(\.rawValue)), Set(exported))
        XCTAssertEqual(Set(compiledCodeHelpers.map { UInt(bitPattern: $0.address) }).count, exported.count)
    }

    func testValueBitsClassifyRealValues() throws {
        let g = try XCTUnwrap(GlobalRef.create(hashSeed: 1))
        let t = try XCTUnwrap(g.newTable())
        let s = try XCTUnwrap(g.intern("key"))
        for n in [0.0, -0.0, 1.5, -Double.infinity, .infinity, .nan, -Double.nan, Double.greatestFiniteMagnitude] {
            XCTAssertLessThan(Value(number: n).bits, ValueBits.numberBound, "\(n)")
            XCTAssertLessThan(Value(number: n).bits, ValueBits.truthyBound)
        }
        for v in [Value.nil, .false, .true, Value(table: t), Value(string: s)] {
            XCTAssertGreaterThanOrEqual(v.bits, ValueBits.numberBound)
        }
        XCTAssertGreaterThanOrEqual(Value.nil.bits, ValueBits.truthyBound)
        XCTAssertGreaterThanOrEqual(Value.false.bits, ValueBits.truthyBound)
        XCTAssertLessThan(Value.true.bits, ValueBits.truthyBound)
        XCTAssertEqual(Value(table: t).bits >> Value.tagShift, ValueBits.tableTag)
        XCTAssertEqual(Value(string: s).bits >> Value.tagShift, ValueBits.stringTag)
        XCTAssertEqual(Value(table: t).bits & ValueBits.payloadMask, UInt64(UInt(bitPattern: t)))
    }

    /// `i64 read(i8* table, i64 key)`: the array slot of a number key, else its hash slot
    /// (strings and other numbers), else nil; the length through the runtime's helper for
    /// key `true`.
    func buildRead(_ engine: JITEngine, _ context: LLVMContext) throws -> LLVMModule {
        let module = LLVMModule(name: "read", in: context)
        let rt = RuntimeInterface(module)
        let function = module.addFunction("read", context.function(context.i64, [rt.i8p, context.i64]))
        let e = TestEmitter(rt: rt, cx: context, b: IRBuilder(context), function: function)
        let b = e.b
        b.position(atEndOf: e.newBlock("entry"))
        let t = b.parameter(function, 0), key = b.parameter(function, 1)
        let hash = e.newBlock("hash"), number = e.newBlock("number"), string = e.newBlock("string"),
            length = e.newBlock("length"), absent = e.newBlock("absent")
        let numberKey = e.newBlock("numberKey"), other = e.newBlock("other")
        b.condBr(e.isNumber(key), numberKey, other)
        b.position(atEndOf: numberKey)
        let slot = e.arraySlot(t, key, slow: number)
        b.ret(b.load(context.i64, slot))
        b.position(atEndOf: number)
        let numberSlot = e.findNumberSlot(t, key)
        b.br(hash)
        let numberEnd = b.insertBlock!
        b.position(atEndOf: other)
        b.condBr(e.hasTag(key, ValueBits.stringTag), string, length)
        b.position(atEndOf: string)
        let stringSlot = e.findStringSlot(t, key)
        b.br(hash)
        let stringEnd = b.insertBlock!
        b.position(atEndOf: length)
        let n = e.callRuntime(.tableLength, [t])
        b.ret(b.bitcast(b.sitofp(n, context.double), context.i64))
        b.position(atEndOf: hash)
        let found = b.phi(rt.i64p, [(numberSlot, numberEnd), (stringSlot, stringEnd)], "found")
        let present = e.newBlock("present")
        b.condBr(b.icmp(LLVMIntEQ, b.ptrToInt(found, context.i64), e.i64(0)), absent, present)
        b.position(atEndOf: present)
        b.ret(b.load(context.i64, found))
        b.position(atEndOf: absent)
        b.ret(e.bits(ValueBits.nil))
        return module
    }

    func testTableAccessBuiltFromTheBlocksReadsRuntimeTables() throws {
        let g = try XCTUnwrap(GlobalRef.create(hashSeed: 7))
        let t = try XCTUnwrap(g.newTable(arraySize: 4, hashSize: 4))
        for i in 1...4 { XCTAssertEqual(t.set(integer: i, Value(number: Double(i * 10)), g), .ok) }
        let name = try XCTUnwrap(g.intern("name")), missing = try XCTUnwrap(g.intern("missing"))
        XCTAssertEqual(t.set(string: name, Value(number: 99), g), .ok)
        XCTAssertEqual(t.set(number: 2.5, Value(number: 25), g), .ok)
        XCTAssertEqual(t.set(number: 100, Value.true, g), .ok)

        let engine = try JITEngine()
        try engine.defineAbsoluteSymbols(compiledCodeHelpers)
        let context = engine.makeContext()
        let module = try buildRead(engine, context)
        try module.verify()
        try engine.add(module)
        let read = unsafeBitCast(try engine.lookup("read"), to: (@convention(c) (UnsafeMutableRawPointer, UInt64) -> UInt64).self)
        let raw = UnsafeMutableRawPointer(t)
        for key in [Value(number: 1), Value(number: 4), Value(number: 2.5), Value(number: 100), Value(number: 5),
                    Value(number: -0.0), Value(string: name), Value(string: missing)] {
            XCTAssertEqual(read(raw, key.bits), t.get(key).bits, "key \(key.bits)")
        }
        XCTAssertEqual(Value(bits: read(raw, Value.true.bits)).number, Double(t.length()))
    }
}
