/// The process's entry: the allocator is tuned for the services first (`HeapTuning`: it must happen before any
/// other thread allocates), then the command line is parsed and run.
@main
enum Entry {
    static func main() async {
        HeapTuning.configure(arguments: CommandLine.arguments)
        ParentWatch.startIfRequested()
        await Shoal.main()
    }
}
