import Foundation

/// `value` with `digits` decimals, as C's `%.Nf` prints it.
func format(_ value: Double, _ digits: Int) -> String {
    String(format: "%.\(digits)f", value)
}
