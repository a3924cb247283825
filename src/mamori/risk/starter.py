"""The starter catalogues a new install gets (ISM 14-2-3/4, 15-3): threats, vulnerabilities
and incidents at other exchanges, in Japanese and English. Plain data: a migration loads it."""

THREATS = [
    (
        "hot-wallet-key-theft",
        "ホットウォレット秘密鍵の窃取",
        "Theft of hot-wallet private keys",
        "オンライン環境の秘密鍵が外部から窃取され、暗号資産が不正送金される（Coincheck 2018、Zaif 2018）。",
        "Keys held online are stolen from outside and the assets sent away (Coincheck 2018, Zaif 2018).",
    ),
    (
        "signer-compromise",
        "署名端末・ウォレット事業者の侵害",
        "Compromised signer device or wallet vendor",
        "署名に使う端末や委託先のウォレット基盤が侵害され、改ざんされた送金依頼に署名される（DMM Bitcoin 2024）。",
        "A signing device or the wallet vendor is compromised and an altered transfer request is signed (DMM Bitcoin 2024).",
    ),
    (
        "blind-signing",
        "署名画面の改ざん・ブラインド署名",
        "Manipulated signing UI / blind signing",
        "署名者に表示される取引と実際に署名される取引が異なる（Bybit 2025）。",
        "Signers are shown one transfer and sign another (Bybit 2025).",
    ),
    (
        "insider-key-access",
        "鍵にアクセスできる内部者の不正",
        "Insider with key access",
        "鍵・シードにアクセスできる役職員による持ち出し・不正送金。",
        "A staff member with access to keys or seeds takes them or moves assets.",
    ),
    (
        "operator-phishing",
        "運用者へのフィッシング",
        "Phishing of operators",
        "運用者・開発者の認証情報がフィッシングやソーシャルエンジニアリングで奪われる。",
        "Operators' or developers' credentials are taken by phishing or social engineering.",
    ),
    (
        "ddos",
        "DDoS 攻撃",
        "DDoS",
        "取引・入出金サービスが大量通信で停止する。",
        "Trading and transfer services are overwhelmed.",
    ),
    (
        "ransomware",
        "ランサムウェア",
        "Ransomware",
        "業務システムやバックアップが暗号化され業務が止まる。",
        "Business systems and backups are encrypted and work stops.",
    ),
    (
        "cloud-misconfiguration",
        "クラウド設定不備",
        "Cloud misconfiguration",
        "公開設定・権限設定の誤りで情報が外部から参照できる。",
        "A public or permission setting exposes information to outsiders.",
    ),
    (
        "leaked-backup",
        "バックアップ・ダンプの漏えい",
        "Leaked backups or dumps",
        "バックアップ、障害解析用ダンプ、保管文書から顧客情報が漏えいする（ISM 21-2）。",
        "Customer information leaks from backups, diagnostic dumps or archived documents (ISM 21-2).",
    ),
    (
        "supply-chain",
        "サプライチェーン侵害",
        "Supply-chain compromise",
        "依存ライブラリ・委託先・更新配布経路が侵害される。",
        "A dependency, vendor or update channel is compromised.",
    ),
]

VULNERABILITIES = [
    ("single-signature", "単一署名のウォレット", "Single-signature wallet"),
    ("excess-hot-balance", "ホットウォレット残高の過多", "Hot balance above expected outflow"),
    (
        "no-transfer-verification",
        "署名前の送金内容検証がない",
        "No verification of the transfer before signing",
    ),
    ("weak-mfa", "多要素認証の不備", "Weak or missing multi-factor authentication"),
    ("shared-admin-accounts", "共用の管理者アカウント", "Shared administrator accounts"),
    ("unpatched-systems", "未適用の脆弱性修正", "Unpatched systems"),
    ("unencrypted-dumps", "暗号化されていないダンプ・バックアップ", "Unencrypted dumps or backups"),
    ("no-egress-monitoring", "出金の即時監視がない", "No immediate monitoring of outflows"),
    ("vendor-oversight-gap", "委託先管理の不足", "Gaps in vendor oversight"),
]

INCIDENTS = [
    (
        "coincheck-2018",
        "Coincheck NEM 流出",
        "Coincheck NEM theft",
        "Coincheck",
        2018,
        "単一署名のホットウォレットから約580億円相当が流出し、発覚まで数時間を要した。",
        "About ¥58bn left a single-signature hot wallet; it was noticed hours later.",
    ),
    (
        "zaif-2018",
        "Zaif 流出",
        "Zaif theft",
        "Tech Bureau (Zaif)",
        2018,
        "ホットウォレットから約67億円相当が流出し、発覚まで3日を要した。",
        "About ¥6.7bn left the hot wallet; it was noticed three days later.",
    ),
    (
        "dmm-2024",
        "DMM Bitcoin 流出",
        "DMM Bitcoin theft",
        "DMM Bitcoin",
        2024,
        "改ざんされた送金依頼に署名され、約482億円相当のBTCが流出した。",
        "An altered transfer request was signed and about ¥48.2bn of BTC left.",
    ),
    (
        "bybit-2025",
        "Bybit 流出",
        "Bybit theft",
        "Bybit",
        2025,
        "署名者に表示された取引と異なる取引に署名させられ、約15億ドル相当が流出した。",
        "Signers were shown one transfer and signed another; about $1.5bn left.",
    ),
]
