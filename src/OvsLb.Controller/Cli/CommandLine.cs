namespace OvsLb.Controller.Cli;

/// <summary>Verb dispatch for the <c>ovslb</c> executable.</summary>
public static class CommandLine
{
    public const int ExitOk = 0;
    public const int ExitError = 1;
    public const int ExitUsage = 64;

    public static Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            stdout.Write(Usage);
            return Task.FromResult(args.Length == 0 ? ExitUsage : ExitOk);
        }
        return args[0] switch
        {
            "ofp-print" => Task.FromResult(OfpPrintCommand.Run(args[1..], stdout, stderr)),
            "run" => RunCommand.RunAsync(args[1..], stderr),
            _ => Task.FromResult(Unknown(args[0], stderr)),
        };
    }

    private static int Unknown(string verb, TextWriter stderr)
    {
        stderr.WriteLine($"ovslb: unknown command '{verb}'");
        stderr.Write(Usage);
        return ExitUsage;
    }

    public const string Usage = """
        usage: ovslb COMMAND [ARGS]

        commands:
          run [--config FILE] [--Controller:Key=value]
                                       run the controller: accept switches on Controller:Listen
                                       (default 0.0.0.0:6653) and keep them programmed
          ofp-print [--hex] HEX...     decode OpenFlow 1.3 messages given as hex (spaces, colons allowed)
          ofp-print [--hex] FILE       decode a binary file of back-to-back OpenFlow messages
                                       ('-' reads binary from standard input)
              --hex                    also print each decoded message re-encoded, as a hex dump

        """;
}
