/// Emits an object whose main calls the runtime, links it with the linker driver, runs it.
import CLLVM
import Glibc
import PerigeeAOT
import PerigeeLLVM
import PerigeeRuntime
import PerigeeTestSupport
import XCTest

final class AOTTests: XCTestCase {
    /// `int main(void) { puts(perigee_runtime_version()); puts("aot ok"); return 0; }`
    func buildMain(in context: LLVMContext) -> LLVMModule {
        let module = LLVMModule(name: "aot_main", in: context)
        let text = context.bytePointer
        let versionType = context.function(text, [])
        let putsType = context.function(context.i32, [text])
        let version = module.declare("perigee_runtime_version", versionType)
        let puts = module.declare("puts", putsType)
        let main = module.addFunction("main", context.function(context.i32, []))
        let b = IRBuilder(context)
        b.position(atEndOf: b.appendBlock(to: main, "entry"))
        b.call(putsType, puts, [b.call(versionType, version, [], "version")])
        b.call(putsType, puts, [b.globalString("aot ok", "message")])
        b.ret(context.constant(0, context.i32))
        return module
    }

    func testObjectLinkedWithRuntimeRuns() throws {
        let dir = TestSupport.temporaryDirectory()
        defer { TestSupport.removeTree(dir) }
        let machine = try TargetMachine()
        let context = try LLVMContext()
        let module = buildMain(in: context)
        machine.configure(module)
        try module.verify()
        try PassPipeline.o2.run(on: module, for: machine)
        let object = dir + "/main.o"
        try machine.emitObject(module, to: object)
        XCTAssertTrue(TestSupport.fileExists(object))

        // The runtime library sits next to the test executable in the build folder, which is
        // where the driver looks by default (next to the running binary).
        let runtime = TestSupport.buildDirectory + "/" + Linker.runtimeLibraryName
        XCTAssertTrue(TestSupport.fileExists(runtime),
                      "\(runtime) is missing: build the PerigeeRuntime product (swift build) first")
        let linker = try Linker()
        XCTAssertEqual(linker.runtimeDirectory, TestSupport.buildDirectory)
        let executable = dir + "/hello"
        try linker.link(objects: [object], output: executable)

        let run = try Subprocess.run([executable])
        XCTAssertEqual(run.exitCode, 0, run.output)
        XCTAssertEqual(run.output, "\(perigeeVersion)\naot ok\n")
    }

    func testRuntimeLookupOrderAndMissingRuntimeNamesBothPlaces() throws {
        let empty = TestSupport.temporaryDirectory()
        defer { TestSupport.removeTree(empty) }
        let build = TestSupport.buildDirectory
        XCTAssertEqual(try Linker.findRuntimeDirectory(variable: build, executableDirectory: empty), build)
        XCTAssertEqual(try Linker.findRuntimeDirectory(variable: empty, executableDirectory: build), build)
        XCTAssertEqual(try Linker.findRuntimeDirectory(variable: nil, executableDirectory: build), build)
        XCTAssertThrowsError(try Linker.findRuntimeDirectory(variable: empty + "/a", executableDirectory: empty + "/b")) {
            let message = "\($0)"
            XCTAssertTrue(message.contains("PERIGEE_RUNTIME_DIR (\(empty)/a)"), message)
            XCTAssertTrue(message.contains("running executable (\(empty)/b)"), message)
            XCTAssertTrue(message.contains(Linker.runtimeLibraryName), message)
        }
    }

    func testLinkFailureCarriesTheLinkerOutput() throws {
        let dir = TestSupport.temporaryDirectory()
        defer { TestSupport.removeTree(dir) }
        let linker = Linker(runtimeDirectory: TestSupport.buildDirectory)
        XCTAssertThrowsError(try linker.link(objects: [dir + "/absent.o"], output: dir + "/never")) { error in
            XCTAssertTrue("\(error)".contains("absent.o"), "\(error)")
        }
    }
}
