import Testing
@testable import RecbenchData
