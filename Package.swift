// swift-tools-version:6.0
// Perigee: a Lua (LuaJIT 2.1 dialect) interpreter, tracing JIT and AOT compiler.
//
// LLVM is located with `llvm-config` (or `$LLVM_CONFIG`). Only its C headers are used at
// build time: `perigee` never links libLLVM, it opens it with dlopen on first use
// (see Sources/CLLVM), so a script that never compiles anything does not pay for it.
import PackageDescription
import Foundation

/// Runs `llvm-config` with `args` and returns its trimmed output, or nil when it is missing.
func llvmConfig(_ args: [String]) -> String? {
    let tool = ProcessInfo.processInfo.environment["LLVM_CONFIG"] ?? "llvm-config"
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [tool] + args
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    do { try process.run() } catch { return nil }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { return nil }
    return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
}

let llvmIncludeDir = llvmConfig(["--includedir"]) ?? "/usr/lib/llvm-14/include"
let llvmLibDir = llvmConfig(["--libdir"]) ?? "/usr/lib/llvm-14/lib"
/// `-lLLVM-14` names `libLLVM-14.so`, the shared library dlopen'ed at run time.
let llvmSharedLibrary: String = {
    let flag = llvmConfig(["--link-shared", "--libs"]) ?? "-lLLVM-14"
    let name = flag.split(separator: " ").first.map { String($0.dropFirst(2)) } ?? "LLVM-14"
    return "\(llvmLibDir)/lib\(name).so"
}()

/// The library's soname (e.g. `libLLVM-14.so.1`), tried when the path above is missing at run
/// time; read with `readelf -d`, or the file name itself when readelf is not installed.
let llvmSoname: String = {
    let fallback = String(llvmSharedLibrary.split(separator: "/").last ?? "")
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["readelf", "-d", llvmSharedLibrary]
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    do { try process.run() } catch { return fallback }
    let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    guard let line = text.split(separator: "\n").first(where: { $0.contains("(SONAME)") }),
          let open = line.firstIndex(of: "["), let close = line.lastIndex(of: "]") else { return fallback }
    return String(line[line.index(after: open)..<close])
}()

// Code layout (see runtime/link/README.md). Every function gets a section of its own, so that
// the linker can put the code a run starts with and the interpreter's usual paths side by side
// (runtime/link/order.txt): the kernel maps an executable's pages 64 KiB at a time around each
// one touched, so scattered code costs its whole file in resident memory.
let functionSections: [SwiftSetting] = [.unsafeFlags(["-Xfrontend", "-function-sections"])]
let cFunctionSections: [CSetting] = [.unsafeFlags(["-ffunction-sections"])]
/// The interpreter's handlers (Sources/CSupport/Dispatch.c) jump from one to the next and are
/// each a few instructions: a frame pointer would add three to every one.
let interpreterC: [CSetting] = [.unsafeFlags(["-ffunction-sections", "-Xclang", "-mframe-pointer=none"])]
/// What the links of `perigee` and of `perigee build`'s executables share: runtime/link.
let linkDirectory = Context.packageDirectory + "/runtime/link"
/// With lld (shipped with Swift toolchains) the executables are linked with the options of
/// runtime/link/swiftc-options: sections in the order of runtime/link/order.txt, packed
/// relative relocations, libstdc++ from its static archive, no exported symbols, segments
/// aligned to 64 KiB. Without lld the default linker links as before.
/// (It also needs GCC's static libstdc++.a, which comes with the C++ headers Swift builds with.)
let compactLinkPossible: Bool = {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    let lld = path.split(separator: ":").contains { FileManager.default.isExecutableFile(atPath: "\($0)/ld.lld") }
    let gcc = "/usr/lib/gcc"
    let staticCxx = ((try? FileManager.default.subpathsOfDirectory(atPath: gcc)) ?? []).contains { $0.hasSuffix("/libstdc++.a") }
    return lld && staticCxx
}()
/// The options, from runtime/link/swiftc-options (`perigee build` reads the same file).
let compactLink: [String] = {
    guard compactLinkPossible, let text = try? String(contentsOfFile: linkDirectory + "/swiftc-options", encoding: .utf8)
    else { return [] }
    return text.split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.isEmpty }
        .map { $0.replacingOccurrences(of: "$LINK", with: linkDirectory) }
}()

let llvmCFlags: [CSetting] = [
    .unsafeFlags(["-I\(llvmIncludeDir)"]),
    .define("PERIGEE_LLVM_LIBRARY", to: "\"\(llvmSharedLibrary)\""),
    .define("PERIGEE_LLVM_SONAME", to: "\"\(llvmSoname)\""),
    .define("PERIGEE_LINK_DIRECTORY", to: "\"\(compactLinkPossible ? linkDirectory : "")\""),
]
let llvmSwiftFlags: [SwiftSetting] = [.unsafeFlags(["-Xcc", "-I\(llvmIncludeDir)"])] + functionSections

/// The hot paths (runtime, interpreter) are written with explicit checks; Swift's
/// exclusivity checking on every global access would cost more than it protects there.
let fastSwift: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"])] + functionSections

let package = Package(
    name: "Perigee",
    products: [
        .executable(name: "perigee", targets: ["perigee"]),
        .library(name: "PerigeeRuntime", type: .static, targets: ["PerigeeRuntime"]),
    ],
    targets: [
        .target(name: "CLLVM", cSettings: llvmCFlags, linkerSettings: [.linkedLibrary("dl")]),
        .target(name: "PerigeeFrontend", swiftSettings: fastSwift),
        .target(name: "CSupport", cSettings: interpreterC),
        // libffi, linked from the system (Debian's libffi-dev): the FFI's calls and callbacks.
        .target(name: "CLibFFI", cSettings: cFunctionSections, linkerSettings: [.linkedLibrary("ffi")]),
        .target(name: "PerigeeRuntime", dependencies: ["PerigeeFrontend", "CSupport", "CLibFFI"], path: "runtime",
                exclude: ["link"], swiftSettings: fastSwift),
        .target(name: "PerigeeLLVM", dependencies: ["CLLVM", "PerigeeRuntime"],
                swiftSettings: llvmSwiftFlags),
        .target(name: "PerigeeCodegen", dependencies: ["PerigeeFrontend", "PerigeeLLVM", "PerigeeRuntime"], exclude: ["README.md"],
                swiftSettings: llvmSwiftFlags),
        .target(name: "PerigeeJIT", dependencies: ["PerigeeCodegen", "PerigeeFrontend", "PerigeeLLVM", "PerigeeRuntime"],
                exclude: ["README.md"], swiftSettings: llvmSwiftFlags),
        // Profiles of recorded runs (`perigee profile`): the data, the file format, merging, matching.
        .target(name: "PerigeeProfile", dependencies: ["PerigeeFrontend", "PerigeeRuntime"], swiftSettings: functionSections),
        .target(name: "PerigeeAOT", dependencies: ["PerigeeCodegen", "PerigeeLLVM", "PerigeeRuntime", "PerigeeProfile", "PerigeeJIT"],
                exclude: ["README.md"],
                swiftSettings: llvmSwiftFlags),
        .executableTarget(name: "perigee",
                          dependencies: ["PerigeeAOT", "PerigeeJIT", "PerigeeRuntime", "PerigeeFrontend", "PerigeeProfile"],
                          swiftSettings: llvmSwiftFlags,
                          linkerSettings: [.unsafeFlags(["-static-stdlib"] + compactLink)]),
        // The frontend fuzzer (Tests/fuzz): its mutator, and the executable running it for long.
        .target(name: "PerigeeFuzzing", dependencies: ["PerigeeFrontend"], path: "Tests/fuzz/PerigeeFuzzing"),
        .executableTarget(name: "perigee-fuzz", dependencies: ["PerigeeFuzzing", "PerigeeFrontend", "PerigeeRuntime"],
                          path: "Tests/fuzz/perigee-fuzz"),
        .testTarget(name: "PerigeeFrontendTests", dependencies: ["PerigeeFrontend", "PerigeeFuzzing"]),
        .testTarget(name: "PerigeeCLITests"),
        .testTarget(name: "PerigeeRuntimeTests", dependencies: ["PerigeeRuntime", "PerigeeFrontend"]),
        .target(name: "PerigeeTestSupport", dependencies: ["PerigeeAOT"], path: "Tests/PerigeeTestSupport"),
        .testTarget(name: "PerigeeLLVMTests", dependencies: ["PerigeeLLVM", "PerigeeAOT", "PerigeeTestSupport"],
                    swiftSettings: llvmSwiftFlags),
        .testTarget(name: "PerigeeCodegenTests", dependencies: ["PerigeeCodegen", "PerigeeLLVM", "PerigeeRuntime"],
                    swiftSettings: llvmSwiftFlags),
        .testTarget(name: "PerigeeJITTests", dependencies: ["PerigeeJIT", "PerigeeRuntime"],
                    swiftSettings: llvmSwiftFlags),
        .testTarget(name: "PerigeeAOTTests",
                    dependencies: ["PerigeeAOT", "PerigeeLLVM", "PerigeeRuntime", "PerigeeTestSupport"],
                    swiftSettings: llvmSwiftFlags),
        .testTarget(name: "PerigeeStringEngineTests", dependencies: ["PerigeeRuntime"]),
    ],
    swiftLanguageModes: [.v5]
)
