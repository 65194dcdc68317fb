/// The kind of bill a payment settles; each back office has its own callback page and receipts table.
public enum BillType: String, Sendable, Hashable, CaseIterable {
    case scenicArea = "1"
    case pointOfSale = "2"
    case carRental = "3"
    case ecoVehicle = "4"
    case equipmentRental = "5"
    case jointRetail = "6"
    case storedValueCardRecharge = "7"
}
