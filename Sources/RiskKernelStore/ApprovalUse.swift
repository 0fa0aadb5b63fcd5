import Foundation
import RiskKernelCore

/// What both stores write and report when an approval is used, worked out once.
enum ApprovalUse {
    /// The `store_secrets` row that keys approval match keys.
    static let secretName = "approval-match-key"

    /// The `approval.consumed` event's data.
    static func event(_ approval: ApprovalRecord, requestId: String) -> JSONValue {
        ["approvalId": .string(approval.id), "callId": .string(approval.toolCallId), "requestId": .string(requestId)]
    }

    /// Why an approval could not be used, as ``StoreError/notPending(id:status:)`` reports it.
    static func unusableStatus(_ approval: ApprovalRecord, at now: Date) -> String {
        if approval.consumedBy != nil { return "used already" }
        return approval.asOf(now).status.rawValue
    }

    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }

    static func bytes(hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count == 64 else { return nil }
        var bytes: [UInt8] = []
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let byte = UInt8(String(decoding: digits[index...index + 1], as: UTF8.self), radix: 16) else { return nil }
            bytes.append(byte)
        }
        return bytes
    }
}
