/// A missing or wrong libLLVM is a clear Swift error naming the library, never a crash.
import Glibc
import PerigeeLLVM
import PerigeeTestSupport
import XCTest

final class LoaderErrorTests: XCTestCase {
    func testProbeOfMissingFileNamesIt() {
        let path = "/nonexistent/perigee/libLLVM-missing.so"
        XCTAssertThrowsError(try LLVMLibrary.probe(path: path)) { error in
            let failure = error as? LLVMError
            XCTAssertEqual(failure?.kind, .library)
            XCTAssertTrue(failure?.message.contains(path) ?? false, "\(error)")
        }
    }

    func testProbeOfANonLLVMLibraryNamesMissingSymbols() {
        XCTAssertThrowsError(try LLVMLibrary.probe(path: "libc.so.6")) { error in
            let message = (error as? LLVMError)?.message ?? ""
            XCTAssertTrue(message.contains("libc.so.6"), message)
            XCTAssertTrue(message.contains("LLVMContextCreate"), message)
        }
    }

    func testProbeOfTheBuiltInLibrarySucceeds() throws {
        try LLVMLibrary.probe(path: LLVMLibrary.defaultPath)
    }

    /// In a fresh process with $PERIGEE_LLVM_LIBRARY pointing at a missing file, loading and
    /// everything that needs LLVM throw (again on retry) and nothing is mapped.
    func testMissingLibraryInEnvironmentIsAnError() throws {
        let result = try TestSupport.runProbe("LoaderProbe/testMissingLibrary",
                                              environment: ["PERIGEE_LLVM_LIBRARY=/nonexistent/libLLVM-x.so"])
        XCTAssertEqual(result.exitCode, 0, result.output)
        XCTAssertTrue(result.output.contains("PROBE-OK"), result.output)
    }
}

/// Only does something in a child process started by `runProbe`.
final class LoaderProbe: XCTestCase {
    func testMissingLibrary() throws {
        guard TestSupport.isProbe("LoaderProbe/testMissingLibrary") else { return }
        for _ in 0..<2 {
            XCTAssertThrowsError(try LLVMLibrary.load()) { error in
                let failure = error as? LLVMError
                XCTAssertEqual(failure?.kind, .library)
                XCTAssertTrue(failure?.message.contains("/nonexistent/libLLVM-x.so") ?? false, "\(error)")
            }
        }
        XCTAssertThrowsError(try TargetMachine())
        XCTAssertThrowsError(try LLVMContext())
        XCTAssertFalse(LLVMLibrary.isLoaded)
        XCTAssertFalse(TestSupport.mappedFiles().contains("libLLVM"))
        print("PROBE-OK")
    }
}
