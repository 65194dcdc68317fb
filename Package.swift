// swift-tools-version:6.0
import PackageDescription

// Every Swift target is compiled in Swift 6 language mode. C libraries are reached only through the
// thin `C*` targets, and each is imported by exactly one wrapper module (FastCGI, RSASigning,
// CurlClient, MariaDB, BSON, QRCode) with an `internal import`, so no C type leaks into a public signature.
let package = Package(
    name: "ThreePay",
    products: [
        .executable(name: "threepay", targets: ["threepay"]),
        .executable(name: "threepay-sandbox", targets: ["threepay-sandbox"]),
    ],
    targets: [
        // MARK: System libraries (Debian -dev packages)
        .systemLibrary(name: "CFastCGI", pkgConfig: "fcgi", providers: [.apt(["libfcgi-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CMariaDB", pkgConfig: "libmariadb", providers: [.apt(["libmariadb-dev"])]),
        .systemLibrary(name: "CBSON", pkgConfig: "libbson-1.0", providers: [.apt(["libbson-dev"])]),
        .systemLibrary(name: "CQREncode", pkgConfig: "libqrencode", providers: [.apt(["libqrencode-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        // Typed wrappers for libcurl's variadic calls, which Swift cannot import.
        .target(name: "CCurlShims", dependencies: ["CCurl"]),
        // Allocation of libbson's iterator, which Swift cannot import (it is declared 128-byte aligned).
        .target(name: "CBSONShims", dependencies: ["CBSON"]),

        // MARK: Thin Swift wrappers (the only modules that see C pointers)
        .target(name: "FastCGI", dependencies: ["CFastCGI"]),
        .target(name: "RSASigning", dependencies: ["COpenSSL"]),
        .target(name: "CurlClient", dependencies: ["CCurl", "CCurlShims"]),
        .target(name: "MariaDB", dependencies: ["CMariaDB", "CivilTime"]),
        .target(name: "BSON", dependencies: ["CBSON", "CBSONShims"]),
        .target(name: "QRCode", dependencies: ["CQREncode", "CPNG"]),

        // MARK: Pure logic
        .target(name: "CivilTime"),
        .target(name: "JSON"),
        .target(name: "PaymentModel"),
        .target(name: "ContentNegotiation", dependencies: ["PaymentModel", "JSON", "BSON"]),
        .target(name: "CashierPage", dependencies: ["RSASigning", "JSON"]),

        // MARK: Adapters
        .target(name: "Alipay", dependencies: ["RSASigning", "PaymentModel", "CivilTime", "JSON"]),
        .target(name: "PaymentFlow", dependencies: ["PaymentModel", "Alipay", "CivilTime"]),
        .target(name: "PaymentStore", dependencies: ["MariaDB", "PaymentModel", "PaymentFlow"]),
        .target(
            name: "SandboxGateway",
            dependencies: ["Alipay", "RSASigning", "FastCGI", "CurlClient", "PaymentModel", "CivilTime", "JSON"]
        ),

        // MARK: Application
        .target(
            name: "ThreePayApp",
            dependencies: [
                "FastCGI", "CurlClient", "RSASigning", "MariaDB", "PaymentModel", "ContentNegotiation",
                "Alipay", "PaymentFlow", "PaymentStore", "CivilTime", "JSON",
                "QRCode", "CashierPage",
            ]
        ),
        .executableTarget(name: "threepay", dependencies: ["ThreePayApp"]),
        .executableTarget(name: "threepay-sandbox", dependencies: ["SandboxGateway"]),

        // MARK: Tests
        // What several test targets share: waiting with a deadline, work on a thread of its own, and the
        // database the tests use. Not a product; no XCTest inside.
        .target(name: "TestSupport", dependencies: ["MariaDB"], path: "Tests/TestSupport"),
        // Reads QR codes back out of pictures with Debian's zbarimg and rsvg-convert (tests only).
        .target(name: "BarcodeReading", dependencies: ["TestSupport"], path: "Tests/BarcodeReading"),
        .testTarget(name: "CivilTimeTests", dependencies: ["CivilTime"]),
        .testTarget(name: "JSONTests", dependencies: ["JSON"]),
        .testTarget(name: "BSONTests", dependencies: ["BSON"]),
        .testTarget(name: "PaymentModelTests", dependencies: ["PaymentModel", "TestSupport"]),
        .testTarget(name: "FastCGITests", dependencies: ["FastCGI", "TestSupport"]),
        .testTarget(name: "ThreePayAppTests", dependencies: ["ThreePayApp", "FastCGI"]),
        .testTarget(
            name: "ContentNegotiationTests",
            dependencies: ["ContentNegotiation", "PaymentModel", "ThreePayApp", "BSON"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "AlipayTests",
            dependencies: ["Alipay", "RSASigning", "CurlClient", "PaymentModel", "ThreePayApp", "JSON", "TestSupport"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(name: "QRCodeTests", dependencies: ["QRCode", "BarcodeReading"]),
        .testTarget(name: "CashierPageTests", dependencies: ["CashierPage", "JSON", "RSASigning"]),
        .testTarget(name: "PaymentFlowTests", dependencies: ["PaymentFlow", "PaymentModel", "Alipay"]),
        .testTarget(
            name: "MariaDBTests",
            dependencies: ["MariaDB", "PaymentStore", "PaymentFlow", "PaymentModel", "TestSupport"]
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["ThreePayApp", "Alipay", "RSASigning", "CurlClient", "PaymentModel", "MariaDB",
                           "SandboxGateway", "CivilTime", "JSON", "TestSupport", "BSON", "QRCode",
                           "BarcodeReading"]
        ),
    ]
)
