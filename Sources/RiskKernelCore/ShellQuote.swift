import Foundation

/// Quotes words for POSIX shells, so that a command in a message can be pasted as it is.
public enum ShellQuote {
    private static let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@%+=:,./_-")

    /// `word` unchanged when it is non-empty and made only of characters no shell treats
    /// specially (letters, digits, `@%+=:,./_-`); otherwise in single quotes, each `'` written `'\''`.
    public static func quote(_ word: String) -> String {
        if !word.isEmpty, word.allSatisfy({ safe.contains($0) }) { return word }
        return "'" + word.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
    }
}
