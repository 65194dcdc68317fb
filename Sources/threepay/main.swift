import ThreePayApp

ThreePayMain.main(arguments: Array(CommandLine.arguments.dropFirst()))
