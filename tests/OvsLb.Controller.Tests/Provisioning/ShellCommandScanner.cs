using System.Text.RegularExpressions;

namespace OvsLb.Controller.Tests.Provisioning;

/// <summary>
/// The commands a shell script runs, found without a full shell parser (the project's scripts use a
/// small part of bash; <see cref="CommandScannerTests"/> pins the rules on fixtures). Rules:
/// <list type="bullet">
/// <item>Text in quotes, comments and <c>${...}</c> is not code; the bodies of <c>$(...)</c>, backquotes,
/// <c>&lt;(...)</c> and <c>&gt;(...)</c> (also inside double quotes) are scanned as scripts of their own.
/// Here-documents are refused (none are used): the scan throws rather than guess.</item>
/// <item>A command is the first word of a simple command: at the start of a line or after
/// <c>; &amp; &amp;&amp; || | ( )</c> and the keywords <c>if then else elif do while until ! { } time</c>,
/// skipping <c>NAME=value</c> assignments and redirections with their targets.</item>
/// <item>Case patterns, <c>for</c>/<c>select</c> word lists, <c>[[ ... ]]</c> and <c>(( ... ))</c> hold no
/// commands. <c>NAME()</c> and <c>function NAME</c> define functions, reported separately.</item>
/// <item><c>exec</c>, <c>command</c> (not <c>-v</c>/<c>-V</c>), <c>env</c>, <c>sudo</c>, <c>nohup</c>,
/// <c>setsid</c> and <c>nice</c> run their first non-option word as a command, and so does
/// <c>ip netns exec NS</c>.</item>
/// <item>A command word that is exactly <c>$NAME</c> or <c>${NAME}</c>, where the script gives NAME one
/// value without substitutions, is replaced by that value's words (<c>A="ip netns exec $a"; $A ping</c>
/// runs ip and ping; <c>"$PYTHON" -c</c> with <c>PYTHON=/usr/bin/python3</c> runs /usr/bin/python3).</item>
/// </list>
/// Only plain names and absolute paths are reported: what is left (unresolved expansions, relative
/// paths such as the scripts' own <c>tests/run.sh</c>) is not a system command. Builtins are reported
/// too; the caller drops them (bash's own <c>compgen</c> knows which they are).
/// </summary>
internal static partial class ShellCommandScanner
{
    /// <summary>The commands in a script (word, 1-based line) and the functions it defines.</summary>
    public sealed record Result(IReadOnlyList<(string Command, int Line)> Commands, IReadOnlySet<string> Functions);

    private const char Masked = '\u0001';
    private const string Metachars = " \t\r\n;&|()<>'\"#`";

    private enum Kind { Word, Op, Redirect }

    private sealed record Token(Kind Kind, string Text, int Offset, int Length);

    private enum Mode { Normal, CaseHead, CasePattern, ForHead, Test }

    public static Result Scan(string script)
    {
        var regions = new List<List<Token>>();
        var pending = new Queue<(int From, int To)>();
        pending.Enqueue((0, script.Length));
        while (pending.TryDequeue(out var region))
        {
            var bodies = new List<(int, int)>();
            var masked = Mask(script, region.From, region.To, bodies);
            regions.Add(Tokenize(masked, region.From, region.To));
            foreach (var b in bodies) pending.Enqueue(b);
        }
        var values = Assignments(script, regions);
        var found = new List<(string Command, int Offset)>();
        var functions = new HashSet<string>(StringComparer.Ordinal);
        foreach (var tokens in regions) Detect(tokens, values, found, functions);
        var lineStarts = LineStarts(script);
        return new Result([.. found.OrderBy(f => f.Offset).Select(f => (f.Command, LineOf(lineStarts, f.Offset)))], functions);
    }

    /// <summary>A copy of the script where, inside [from, to), everything that is not code of this level is <see cref="Masked"/>; substitution bodies go to <paramref name="bodies"/>.</summary>
    private static char[] Mask(string s, int from, int to, List<(int, int)> bodies)
    {
        var m = s.ToCharArray();
        int i = from;
        while (i < to)
        {
            char c = s[i];
            if (c == '\\')
            {
                if (i + 1 < to && s[i + 1] == '\n') m[i] = m[i + 1] = ' ';   // a continued line
                i += 2;
            }
            else if (c == '\'')
            {
                int end = s.IndexOf('\'', i + 1);
                if (end < 0) throw Unterminated(s, i, "'");
                Fill(m, i + 1, end);
                i = end + 1;
            }
            else if (c == '"') i = MaskDouble(s, m, i + 1, bodies);
            else if (c == '#' && WordStart(s, i, from))
            {
                int end = s.IndexOf('\n', i);
                if (end < 0 || end > to) end = to;
                Fill(m, i, end);
                i = end;
            }
            else if (c == '(' && At(s, i + 1, '(') && WordStart(s, i, from))
            {
                int end = ArithmeticEnd(s, i + 2);
                Fill(m, i, end);
                i = end;
            }
            else if (c == '<' && At(s, i + 1, '<'))
            {
                if (!At(s, i + 2, '<')) throw new NotSupportedException($"here-document at line {LineOf(LineStarts(s), i)}: not supported by this scanner");
                i += 3;
            }
            else if ((c == '<' || c == '>') && At(s, i + 1, '('))
            {
                int close = CodeEnd(s, i + 2);
                bodies.Add((i + 2, close));
                Fill(m, i, close + 1);
                i = close + 1;
            }
            else i = MaskExpansion(s, m, i, bodies) ?? i + 1;
        }
        return m;
    }

    /// <summary>Masks a <c>$(...)</c>, <c>$((...))</c>, <c>${...}</c> or backquote starting at i; null when there is none.</summary>
    private static int? MaskExpansion(string s, char[] m, int i, List<(int, int)> bodies)
    {
        if (s[i] == '$' && At(s, i + 1, '('))
        {
            if (At(s, i + 2, '('))
            {
                int end = ArithmeticEnd(s, i + 3);
                Fill(m, i, end);
                return end;
            }
            int close = CodeEnd(s, i + 2);
            bodies.Add((i + 2, close));
            Fill(m, i, close + 1);
            return close + 1;
        }
        if (s[i] == '$' && At(s, i + 1, '{'))
        {
            int close = BraceEnd(s, i + 2);
            for (int k = i; k <= close; k++) if (Metachars.Contains(s[k])) m[k] = Masked;
            return close + 1;
        }
        if (s[i] == '`')
        {
            int close = BackquoteEnd(s, i + 1);
            bodies.Add((i + 1, close));
            Fill(m, i, close + 1);
            return close + 1;
        }
        return null;
    }

    /// <summary>Masks a double-quoted string's metacharacters (so it stays one word) from i, after the opening quote; returns the index after the closing quote.</summary>
    private static int MaskDouble(string s, char[] m, int i, List<(int, int)> bodies)
    {
        int open = i - 1;
        while (i < s.Length)
        {
            char c = s[i];
            if (c == '\\')
            {
                Fill(m, i, Math.Min(i + 2, s.Length));
                i += 2;
            }
            else if (c == '"') return i + 1;
            else if (MaskExpansion(s, m, i, bodies) is { } next) i = next;
            else
            {
                if (Metachars.Contains(c)) m[i] = Masked;
                i++;
            }
        }
        throw Unterminated(s, open, "\"");
    }

    /// <summary>The index of the ')' closing code that starts at i (quotes, comments and nested parentheses skipped).</summary>
    private static int CodeEnd(string s, int i)
    {
        int start = i, depth = 0;
        while (i < s.Length)
        {
            char c = s[i];
            if (c == '\\') { i += 2; continue; }
            if (c == '\'') { i = s.IndexOf('\'', i + 1) is var q and >= 0 ? q + 1 : throw Unterminated(s, i, "'"); continue; }
            if (c == '"') { i = DoubleEnd(s, i + 1); continue; }
            if (c == '`') { i = BackquoteEnd(s, i + 1) + 1; continue; }
            if (c == '#' && WordStart(s, i, start)) { i = s.IndexOf('\n', i) is var n and >= 0 ? n : s.Length; continue; }
            if (c == '(') depth++;
            else if (c == ')' && depth-- == 0) return i;
            i++;
        }
        throw Unterminated(s, start, "$(");
    }

    private static int DoubleEnd(string s, int i)
    {
        int open = i - 1;
        while (i < s.Length)
        {
            char c = s[i];
            if (c == '\\') i += 2;
            else if (c == '"') return i + 1;
            else if (c == '$' && At(s, i + 1, '(')) i = CodeEnd(s, i + 2) + 1;
            else if (c == '`') i = BackquoteEnd(s, i + 1) + 1;
            else i++;
        }
        throw Unterminated(s, open, "\"");
    }

    private static int BackquoteEnd(string s, int i)
    {
        int open = i - 1;
        for (; i < s.Length; i++)
        {
            if (s[i] == '\\') i++;
            else if (s[i] == '`') return i;
        }
        throw Unterminated(s, open, "`");
    }

    private static int BraceEnd(string s, int i)
    {
        int open = i - 2, depth = 0;
        while (i < s.Length)
        {
            char c = s[i];
            if (c == '\\') { i += 2; continue; }
            if (c == '\'') { i = s.IndexOf('\'', i + 1) is var q and >= 0 ? q + 1 : throw Unterminated(s, i, "'"); continue; }
            if (c == '"') { i = DoubleEnd(s, i + 1); continue; }
            if (c == '{') depth++;
            else if (c == '}' && depth-- == 0) return i;
            i++;
        }
        throw Unterminated(s, open, "${");
    }

    /// <summary>The index after the "))" closing arithmetic whose text starts at i.</summary>
    private static int ArithmeticEnd(string s, int i)
    {
        int open = i, depth = 0;
        for (; i < s.Length; i++)
        {
            if (s[i] == '(') depth++;
            else if (s[i] == ')')
            {
                if (depth == 0 && At(s, i + 1, ')')) return i + 2;
                depth--;
            }
        }
        throw Unterminated(s, open, "((");
    }

    private static List<Token> Tokenize(char[] m, int from, int to)
    {
        var tokens = new List<Token>();
        int i = from;
        while (i < to)
        {
            char c = m[i];
            if (c is ' ' or '\t' or '\r') { i++; continue; }
            if (c == '\n') { tokens.Add(new Token(Kind.Op, "\n", i, 1)); i++; continue; }
            int digits = i;
            while (digits < to && char.IsAsciiDigit(m[digits])) digits++;
            var rest = new string(m, digits, Math.Min(3, to - digits));
            var redirect = RedirectRegex().Match(rest);
            if (redirect.Success && (digits == i || rest[0] is '<' or '>'))
            {
                int end = digits + redirect.Length;
                tokens.Add(new Token(Kind.Redirect, new string(m, i, end - i), i, end - i));
                i = end;
                continue;
            }
            var op = new[] { ";;&", ";;", ";&", "&&", "||", "|&", "|", "&", ";", "(", ")" }
                .FirstOrDefault(o => i + o.Length <= to && new string(m, i, o.Length) == o);
            if (op is not null)
            {
                tokens.Add(new Token(Kind.Op, op, i, op.Length));
                i += op.Length;
                continue;
            }
            int start = i;
            while (i < to && !" \t\r\n;&|()<>".Contains(m[i])) i++;
            tokens.Add(new Token(Kind.Word, new string(m, start, i - start), start, i - start));
        }
        return tokens;
    }

    /// <summary>NAME=value assignments anywhere (also as arguments of readonly, local, export): NAME to its one literal value, or null when it has several or one with a substitution.</summary>
    private static Dictionary<string, string?> Assignments(string s, List<List<Token>> regions)
    {
        var values = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var t in regions.SelectMany(r => r).Where(t => t.Kind == Kind.Word))
        {
            var a = AssignmentRegex().Match(t.Text);
            if (!a.Success) continue;
            var raw = s.Substring(t.Offset, t.Length)[(a.Length)..];
            if (raw.Length >= 2 && raw[0] is '"' or '\'' && raw[^1] == raw[0]) raw = raw[1..^1];
            string? value = raw.Contains("$(", StringComparison.Ordinal) || raw.Contains('`') || raw.Length == 0 ? null : raw;
            var name = a.Groups[1].Value;
            values[name] = values.TryGetValue(name, out var known) && known != value ? null : value;
        }
        return values;
    }

    private static void Detect(List<Token> tokens, Dictionary<string, string?> values, List<(string, int)> found, HashSet<string> functions)
    {
        var list = new List<Token>(tokens);
        var mode = Mode.Normal;
        bool expect = true, wrapper = false;
        string? current = null;
        var args = new List<string>();
        int splices = 0;
        for (int k = 0; k < list.Count; k++)
        {
            var t = list[k];
            switch (mode)
            {
                case Mode.Test:
                    if (t is { Kind: Kind.Word, Text: "]]" }) { mode = Mode.Normal; expect = false; }
                    continue;
                case Mode.CaseHead:
                    if (t is { Kind: Kind.Word, Text: "in" }) mode = Mode.CasePattern;
                    continue;
                case Mode.CasePattern:
                    if (t is { Kind: Kind.Word, Text: "esac" }) { mode = Mode.Normal; expect = false; }
                    else if (t is { Kind: Kind.Op, Text: ")" }) { mode = Mode.Normal; expect = true; }
                    continue;
                case Mode.ForHead:
                    if (t is { Kind: Kind.Op, Text: ";" or "\n" }) { mode = Mode.Normal; expect = true; }
                    continue;
            }
            if (t.Kind == Kind.Redirect)
            {
                if (k + 1 < list.Count && list[k + 1].Kind == Kind.Word) k++;
                continue;
            }
            if (t.Kind == Kind.Op)
            {
                if (t.Text is ";;" or ";&" or ";;&") mode = Mode.CasePattern;
                else { expect = true; wrapper = false; current = null; }
                continue;
            }
            var w = t.Text;
            if (w.EndsWith('=') && AssignmentRegex().IsMatch(w) && k + 1 < list.Count && list[k + 1] is { Kind: Kind.Op, Text: "(" } p && p.Offset == t.Offset + t.Length)
            {
                k = ClosingParen(list, k + 1);   // NAME=( array words )
                continue;
            }
            if (!expect)
            {
                if (current == "ip")
                {
                    args.Add(w);
                    if (args is ["netns", "exec", _]) { expect = true; current = null; }
                }
                continue;
            }
            if (AssignmentRegex().IsMatch(w) || (wrapper && w.StartsWith('-'))) continue;
            switch (w)
            {
                case "if" or "then" or "else" or "elif" or "do" or "while" or "until" or "!" or "{" or "}" or "time" or "fi" or "done" or "esac":
                    continue;
                case "case": mode = Mode.CaseHead; continue;
                case "for" or "select": mode = Mode.ForHead; continue;
                case "[[": mode = Mode.Test; continue;
                case "function":
                    if (k + 1 < list.Count && list[k + 1].Kind == Kind.Word) functions.Add(list[++k].Text);
                    if (k + 2 < list.Count && list[k + 1] is { Text: "(" } && list[k + 2] is { Text: ")" }) k += 2;
                    continue;
            }
            if (k + 2 < list.Count && list[k + 1] is { Kind: Kind.Op, Text: "(" } && list[k + 2] is { Kind: Kind.Op, Text: ")" })
            {
                functions.Add(w);
                k += 2;
                continue;
            }
            var bare = w.Replace("\"", "", StringComparison.Ordinal).Replace("'", "", StringComparison.Ordinal);
            var variable = VariableRegex().Match(bare);
            if (variable.Success && splices < 20 && values.GetValueOrDefault(variable.Groups[1].Value) is { } value)
            {
                list.RemoveAt(k);
                list.InsertRange(k, value.Split([' ', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries).Select(v => new Token(Kind.Word, v, t.Offset, 0)));
                splices++;
                k--;
                continue;
            }
            if (PlainNameRegex().IsMatch(bare) || AbsolutePathRegex().IsMatch(bare)) found.Add((bare, t.Offset));
            current = bare;
            args.Clear();
            expect = wrapper = bare is "exec" or "env" or "sudo" or "nohup" or "setsid" or "nice"
                || (bare == "command" && !(k + 1 < list.Count && list[k + 1].Text is "-v" or "-V"));
        }
    }

    private static int ClosingParen(List<Token> list, int open)
    {
        int depth = 0;
        for (int k = open; k < list.Count; k++)
        {
            if (list[k] is { Kind: Kind.Op, Text: "(" }) depth++;
            else if (list[k] is { Kind: Kind.Op, Text: ")" } && --depth == 0) return k;
        }
        return list.Count;
    }

    private static void Fill(char[] m, int from, int to)
    {
        for (int k = from; k < to; k++) m[k] = Masked;
    }

    private static bool At(string s, int i, char c) => i < s.Length && s[i] == c;

    /// <summary>Whether position i starts a word (so '#' there starts a comment, "((" an arithmetic command).</summary>
    private static bool WordStart(string s, int i, int from) => i == from || " \t\n;&|()".Contains(s[i - 1]);

    private static FormatException Unterminated(string s, int at, string what) =>
        new($"unterminated {what} from line {LineOf(LineStarts(s), at)}");

    private static int[] LineStarts(string s) =>
        [0, .. s.Select((c, i) => (c, i)).Where(x => x.c == '\n').Select(x => x.i + 1)];

    private static int LineOf(int[] starts, int offset)
    {
        int k = Array.BinarySearch(starts, offset);
        return (k >= 0 ? k : ~k - 1) + 1;
    }

    [GeneratedRegex(@"^(<<<|>>|>&|>\||<&|<>|&>>|&>|>|<)")]
    private static partial Regex RedirectRegex();

    [GeneratedRegex(@"^([A-Za-z_][A-Za-z0-9_]*)(\[[^\]]*\])?\+?=")]
    private static partial Regex AssignmentRegex();

    [GeneratedRegex(@"^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?$")]
    private static partial Regex VariableRegex();

    [GeneratedRegex(@"^[A-Za-z0-9_][A-Za-z0-9._+-]*$")]
    private static partial Regex PlainNameRegex();

    [GeneratedRegex(@"^/[A-Za-z0-9._+/-]+$")]
    private static partial Regex AbsolutePathRegex();
}
