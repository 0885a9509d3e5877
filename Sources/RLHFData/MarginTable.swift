/// Strength -> TRL `margin`, after Llama 2's margin loss (Touvron et al. 2023, the "small" margin
/// table: significantly better 1, better 2/3, slightly better 1/3, negligibly better or unsure 0).
/// Written with three decimals so the JSON text is the same on every platform. A label without a
/// strength gets the "unknown" value, so the margin column has no gaps (TRL's collator fails on gaps).
public enum MarginTable {
    public static let unknown = 0.0

    public static func margin(for strength: Strength?) -> Double {
        switch strength {
        case .none: return unknown
        case .slight: return 0.333
        case .clear: return 0.667
        case .strong: return 1.0
        }
    }

    /// The JSON text of the margin, fixed per strength.
    public static func text(for strength: Strength?) -> StaticString {
        switch strength {
        case .none: return "0"
        case .slight: return "0.333"
        case .clear: return "0.667"
        case .strong: return "1"
        }
    }

    /// The strength a TRL margin stands for, when it is one of the table's values (within 0.001);
    /// nil for 0 and for margins from other tables.
    public static func strength(forMargin margin: Double) -> Strength? {
        for s in Strength.allCases where abs(margin - self.margin(for: s)) <= 0.001 { return s }
        return nil
    }
}
