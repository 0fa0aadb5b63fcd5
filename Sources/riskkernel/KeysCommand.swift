import ArgumentParser
import Foundation
import RiskKernelCore
import RiskKernelProvenance

struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "Make signing keys for provenance bundles.", subcommands: [Generate.self])

    struct Generate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "generate",
            abstract: "Make an Ed25519 key pair (and, with --pq, an ML-DSA-65 one) in a new directory.",
            discussion: """
                Writes ed25519.key (private, mode 0600) and ed25519.pub, with --pq also mldsa65.key (0600) and mldsa65.pub, and key.json, which names each key by its did:key. Keys are never overwritten.

                The Ed25519 did:key is what verifiers pin: riskkernel provenance verify FILE --trust DID.
                """)
        @Option(help: ArgumentHelp("The directory to write the keys to (created with mode 0700 if missing).", valueName: "dir"))
        var out: String
        @Flag(help: "Also make an ML-DSA-65 (post-quantum) key; bundles are then signed by both.")
        var pq = false
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let identities: [SignerIdentity]
            do { identities = try KeyDirectory.generate(in: out, postQuantum: pq) } catch let error as KeyError {
                throw CLIError(error.description)
            }
            let ed25519 = identities[0]
            if output.json {
                return Output.printJSON([
                    "directory": .string(out), "did": .string(ed25519.keyid),
                    "keys": .array(identities.map { ["algorithm": .string($0.algorithm.rawValue), "keyid": .string($0.keyid)] }),
                ])
            }
            var files = TextTable("file", "what")
            files.add(KeyDirectory.ed25519Private, "Ed25519 private key, mode 0600: keep it secret")
            files.add(KeyDirectory.ed25519Public, "Ed25519 public key")
            if pq {
                files.add(KeyDirectory.mldsa65Private, "ML-DSA-65 private key, mode 0600: keep it secret")
                files.add(KeyDirectory.mldsa65Public, "ML-DSA-65 public key")
            }
            files.add(KeyDirectory.summary, "the keys' did:key names")
            print("wrote keys to \(out):")
            print(files.render())
            print("")
            print("signer (Ed25519): \(ed25519.keyid)")
            if let mldsa = identities.first(where: { $0.algorithm == .mldsa65 }) {
                print("second signer (ML-DSA-65): \(DIDKey.shortened(mldsa.keyid)) (\(mldsa.keyid.count) characters; in key.json)")
            }
            print("")
            print("export:  riskkernel provenance export --run RUN --redact content --key \(ShellQuote.quote(StorePaths.absolute(out))) --out bundle.json")
            print("verify:  riskkernel provenance verify bundle.json --trust \(ed25519.keyid)")
        }
    }
}
