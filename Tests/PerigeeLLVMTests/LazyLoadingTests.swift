/// libLLVM is opened on first use only, and the perigee executable does not depend on it.
import Glibc
import PerigeeAOT
import PerigeeLLVM
import PerigeeTestSupport
import XCTest

final class LazyLoadingTests: XCTestCase {
    /// A fresh process (this test executable, which contains all of PerigeeLLVM) starts
    /// without libLLVM mapped and maps it on the first `LLVMLibrary.load()`.
    func testLibLLVMIsMappedOnlyAfterFirstLoad() throws {
        let result = try TestSupport.runProbe("LazyLoadProbe/testMapsBeforeAndAfterLoad")
        XCTAssertEqual(result.exitCode, 0, result.output)
        XCTAssertTrue(result.output.contains("PROBE-OK before=0 after=1"), result.output)
    }

    /// The built `perigee` has no DT_NEEDED entry naming libLLVM (and does have some, so the
    /// parser cannot pass by reading nothing; `readelf -d`, when installed, must agree).
    func testPerigeeExecutableDoesNotNeedLibLLVM() throws {
        let perigee = TestSupport.buildDirectory + "/perigee"
        let bytes = try XCTUnwrap(TestSupport.readFile(perigee), "\(perigee) is missing: run swift build first")
        let needed = try ELFDynamic.neededLibraries(bytes)
        XCTAssertTrue(needed.contains { $0.hasPrefix("libc.so") }, "parser found \(needed)")
        XCTAssertFalse(needed.contains { $0.contains("LLVM") }, "perigee links libLLVM: \(needed)")
        if TestSupport.fileExists("/usr/bin/readelf") {
            let readelf = try Subprocess.run(["/usr/bin/readelf", "-d", perigee])
            XCTAssertEqual(readelf.exitCode, 0, readelf.output)
            let listed = readelf.output.split(separator: "\n").filter { $0.contains("(NEEDED)") }.compactMap {
                $0.split(separator: "[").last?.split(separator: "]").first.map(String.init)
            }
            XCTAssertEqual(Set(listed), Set(needed))
        }
    }

    /// The ELF reader does find libLLVM where it is needed: in LLVM's own `llc`.
    func testELFReaderSeesLibLLVMInLLC() throws {
        let lib = LLVMLibrary.defaultPath
        let llc = String(lib[..<lib.lastIndex(of: "/")!]) + "/../bin/llc"
        guard TestSupport.fileExists(llc) else { throw XCTSkip("\(llc) not installed") }
        let needed = try ELFDynamic.neededLibraries(try XCTUnwrap(TestSupport.readFile(llc)))
        XCTAssertTrue(needed.contains { $0.hasPrefix("libLLVM") }, "\(needed)")
    }
}

/// Only does something in a child process started by `runProbe`.
final class LazyLoadProbe: XCTestCase {
    func testMapsBeforeAndAfterLoad() throws {
        guard TestSupport.isProbe("LazyLoadProbe/testMapsBeforeAndAfterLoad") else { return }
        let before = TestSupport.mappedFiles().contains("libLLVM")
        XCTAssertFalse(LLVMLibrary.isLoaded)
        try LLVMLibrary.load()
        XCTAssertTrue(LLVMLibrary.isLoaded)
        let after = TestSupport.mappedFiles().contains("libLLVM")
        print("PROBE-OK before=\(before ? 1 : 0) after=\(after ? 1 : 0)")
    }
}
