/// Builds IR through the C API, optimises it and runs it in ORC, calling back into Swift.
import CLLVM
import PerigeeLLVM
import XCTest

/// How many times JIT code called `perigee_llvm_test_mul_add`.
nonisolated(unsafe) var mulAddCalls = 0

/// The "runtime function" of the test, handed to ORC by address only.
@_cdecl("perigee_llvm_test_mul_add")
func perigeeLLVMTestMulAdd(_ a: Int64, _ b: Int64) -> Int64 {
    mulAddCalls += 1
    return a * 10 + b
}

final class JITTests: XCTestCase {
    /// `i64 name(i64 n)`: acc = 0; for i in 0..<n { acc = mul_add(acc, i) }; return acc * 2 + 3,
    /// with `acc` in an alloca so the pass pipeline has something to remove.
    func buildCompute(_ name: String, in context: LLVMContext) -> LLVMModule {
        let module = LLVMModule(name: name, in: context)
        let i64 = context.i64
        let mulAddType = context.function(i64, [i64, i64])
        let mulAdd = module.declare("perigee_llvm_test_mul_add", mulAddType)
        let function = module.addFunction(name, context.function(i64, [i64]))
        let b = IRBuilder(context)
        let entry = b.appendBlock(to: function, "entry")
        let loop = b.appendBlock(to: function, "loop")
        let exit = b.appendBlock(to: function, "exit")
        b.position(atEndOf: entry)
        let acc = b.alloca(i64, "acc")
        b.store(context.constant(0, i64), acc)
        let n = b.parameter(function, 0)
        b.condBr(b.icmp(LLVMIntSGT, n, context.constant(0, i64)), loop, exit)
        b.position(atEndOf: loop)
        let i = b.phi(i64, [(context.constant(0, i64), entry)], "i")
        let value = b.call(mulAddType, mulAdd, [b.load(i64, acc), i], "r")
        b.store(value, acc)
        let next = b.add(i, context.constant(1, i64), "next")
        b.addIncoming(i, [(next, loop)])
        b.condBr(b.icmp(LLVMIntSLT, next, n), loop, exit)
        b.position(atEndOf: exit)
        let result = b.add(b.mul(b.load(i64, acc), context.constant(2, i64)), context.constant(3, i64))
        b.ret(result)
        return module
    }

    typealias Compute = @convention(c) (Int64) -> Int64

    func makeEngine() throws -> JITEngine {
        let engine = try JITEngine()
        try engine.defineAbsoluteSymbols([
            ("perigee_llvm_test_mul_add", unsafeBitCast(perigeeLLVMTestMulAdd as @convention(c) (Int64, Int64) -> Int64,
                                                        to: UnsafeRawPointer.self)),
        ])
        return engine
    }

    func testBuildOptimiseCompileAndCallBackIntoTheRuntime() throws {
        let engine = try makeEngine()
        XCTAssertFalse(engine.triple.isEmpty)
        let context = engine.makeContext()
        let module = buildCompute("compute", in: context)
        try module.verify()
        XCTAssertTrue(module.ir.contains("alloca"), module.ir)
        try PassPipeline.aot.run(on: module)
        try module.verify()
        XCTAssertFalse(module.ir.contains("alloca"), "sroa did not run:\n\(module.ir)")
        XCTAssertTrue(module.ir.contains("phi"), module.ir)

        try engine.add(module)
        XCTAssertNil(module.ref, "the JIT owns the module now")
        let compute = unsafeBitCast(try engine.lookup("compute"), to: Compute.self)
        mulAddCalls = 0
        // acc: 0, 0*10+0, 0*10+1, 1*10+2, 12*10+3 = 123; 123 * 2 + 3 = 249
        XCTAssertEqual(compute(4), 249)
        XCTAssertEqual(mulAddCalls, 4)
        XCTAssertEqual(compute(0), 3)
        XCTAssertEqual(compute(1), 3)
        XCTAssertEqual(mulAddCalls, 5)
    }

    func testDefaultO2PipelineAndTargetMachine() throws {
        let machine = try TargetMachine()
        XCTAssertFalse(machine.cpu.isEmpty)
        XCTAssertTrue(machine.triple.contains("linux"), machine.triple)
        let context = try LLVMContext()
        let module = buildCompute("compute_o2", in: context)
        machine.configure(module)
        XCTAssertEqual(module.triple, machine.triple)
        try PassPipeline.o2.run(on: module, for: machine)
        try module.verify()
        XCTAssertFalse(module.ir.contains("alloca"), module.ir)
        let object = try machine.emit(module)
        XCTAssertEqual(Array(object.prefix(4)), [0x7f, 0x45, 0x4c, 0x46], "not an ELF object")
    }

    /// Code for the JIT reaches its constants by absolute address, wherever ORC maps them:
    /// no PC-relative load of a constant pool.
    func testJITMachineAddressesConstantsAbsolutely() throws {
        let machine = try TargetMachine.forJIT()
        let context = try LLVMContext()
        let module = LLVMModule(name: "scale", in: context)
        let function = module.addFunction("scale", context.function(context.double, [context.double]))
        let b = IRBuilder(context)
        b.position(atEndOf: b.appendBlock(to: function, "entry"))
        b.ret(b.fmul(b.parameter(function, 0), context.constant(1.2345)))
        machine.configure(module)
        let assembly = String(decoding: try machine.emit(module, as: LLVMAssemblyFile), as: UTF8.self)
        XCTAssertTrue(assembly.contains(".LCPI"), assembly)
        #if arch(x86_64)
        XCTAssertFalse(assembly.contains("(%rip)"), assembly)
        XCTAssertTrue(assembly.contains("movabs"), assembly)
        #endif
        let small = String(decoding: try TargetMachine().emit(module, as: LLVMAssemblyFile), as: UTF8.self)
        #if arch(x86_64)
        XCTAssertTrue(small.contains(".LCPI0_0(%rip)"), "the default machine loads it PC-relative: \(small)")
        #endif
    }

    func testUnknownPassIsAnError() throws {
        let context = try LLVMContext()
        let module = buildCompute("f", in: context)
        XCTAssertThrowsError(try PassPipeline("no-such-pass-perigee").run(on: module)) { error in
            let failure = error as? LLVMError
            XCTAssertEqual(failure?.kind, .passes)
            XCTAssertTrue(failure?.message.contains("no-such-pass-perigee") ?? false, "\(error)")
        }
    }

    func testVerifierReportsBrokenIR() throws {
        let context = try LLVMContext()
        let module = LLVMModule(name: "broken", in: context)
        let function = module.addFunction("f", context.function(context.i64, []))
        let b = IRBuilder(context)
        b.position(atEndOf: b.appendBlock(to: function, "entry"))
        b.retVoid()   // wrong: f returns i64
        XCTAssertThrowsError(try module.verify()) { error in
            XCTAssertEqual((error as? LLVMError)?.kind, .verification)
            XCTAssertFalse((error as? LLVMError)?.message.isEmpty ?? true)
        }
    }

    func testResourceTrackerFreesCodeAndNameCanBeReused() throws {
        let engine = try makeEngine()
        let tracker = engine.makeResourceTracker()
        try engine.add(buildCompute("tracked", in: engine.makeContext()), tracker: tracker)
        XCTAssertEqual(unsafeBitCast(try engine.lookup("tracked"), to: Compute.self)(2), 2 * (0 * 10 + 1) + 3)
        try tracker.remove()
        XCTAssertThrowsError(try engine.lookup("tracked")) { error in
            XCTAssertEqual((error as? LLVMError)?.kind, .symbolNotFound)
        }
        try engine.add(buildCompute("tracked", in: engine.makeContext()))
        XCTAssertEqual(unsafeBitCast(try engine.lookup("tracked"), to: Compute.self)(3), 2 * 12 + 3)
    }

    func testModuleFromPlainContextIsRefusedByTheJIT() throws {
        let engine = try makeEngine()
        let module = buildCompute("plain", in: try LLVMContext())
        XCTAssertThrowsError(try engine.add(module))
        XCTAssertNotNil(module.ref, "a refused module stays with its owner")
    }
}
