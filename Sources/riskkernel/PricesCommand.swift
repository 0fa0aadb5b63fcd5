import ArgumentParser
import Foundation
import RiskKernelCore

struct PricesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prices", abstract: "Show the model price table (dollars per million tokens).", subcommands: [List.self, Show.self])

    struct PriceOptions: ParsableArguments {
        @Option(help: ArgumentHelp("A JSON price file that adds to or overrides the built-in prices.", valueName: "file"))
        var prices: String?

        func table() throws -> PriceTable {
            let builtIn = try PriceTable.builtIn()
            guard let prices else { return builtIn }
            return builtIn.merging(try PriceTable.load(data: try FileReading.read(prices), file: prices))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List every priced model.")
        @OptionGroup var priceOptions: PriceOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "Only this provider.") var provider: String?

        func run() async throws {
            let prices = try priceOptions.table().prices
                .filter { provider == nil || $0.provider.lowercased() == provider!.lowercased() }
                .sorted { ($0.provider, $0.model) < ($1.provider, $1.model) }
            if output.json { return Output.printJSON(.array(prices.map(PriceJSON.json))) }
            var table = TextTable("PROVIDER", "MODEL", "INPUT", "CACHED INPUT", "CACHE WRITE", "OUTPUT")
            for price in prices {
                table.add(
                    price.provider, price.model, price.input.description, price.cachedInput.description, price.cacheWrite.description,
                    price.output.description)
            }
            print(table.render())
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Show the price of one model (provider-qualified and dated names work).")
        @OptionGroup var priceOptions: PriceOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "The provider, if the model name alone is ambiguous.") var provider: String?
        @Argument(help: "e.g. gpt-4o-2024-08-06 or anthropic/claude-sonnet-4-5") var model: String

        func run() async throws {
            let qualifier = model.contains("/") ? String(model.split(separator: "/")[0]) : provider
            guard let price = try priceOptions.table().price(provider: qualifier, model: model) else {
                throw CLIError("no price for model \"\(model)\"; calls to it are recorded as unpriced. Add it with a --prices file.")
            }
            if output.json { return Output.printJSON(PriceJSON.json(price)) }
            print("\(price.provider)/\(price.model) (dollars per million tokens)")
            print("  input:        \(price.input)")
            print("  cached input: \(price.cachedInput)")
            print("  cache write:  \(price.cacheWrite)")
            print("  output:       \(price.output)")
            if !price.aliases.isEmpty { print("  aliases:      \(price.aliases.joined(separator: ", "))") }
        }
    }
}

enum PriceJSON {
    static func json(_ price: ModelPrice) -> JSONValue {
        [
            "provider": .string(price.provider), "model": .string(price.model), "input": .string(price.input.decimalString),
            "output": .string(price.output.decimalString), "cachedInput": .string(price.cachedInput.decimalString),
            "cacheWrite": .string(price.cacheWrite.decimalString), "aliases": .array(price.aliases.map(JSONValue.string)),
        ]
    }
}
