/// The page's style sheet, inline (the policy allows exactly this text by its hash). One column on a phone,
/// the code beside the bill from 600 px up, so an 800×600 POS screen shows everything without scrolling.
enum CashierStyle {
    static let css = #"""
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;padding:12px;background:#eef1f4;color:#1d2329;font:16px/1.4 "WenQuanYi Micro Hei","Noto Sans CJK SC","PingFang SC","Microsoft YaHei",system-ui,sans-serif}
main{display:flex;flex-wrap:wrap;align-items:center;justify-content:center;gap:20px 28px;width:100%;max-width:760px;padding:20px;background:#fff;border:3px solid #d5dbe1;border-radius:14px}
.code{flex:0 0 auto;display:flex;align-items:center;justify-content:center;max-width:100%}
#qr{display:block;max-width:100%;height:auto;image-rendering:pixelated}
.mark{display:none;width:160px;height:160px;border-radius:50%;background:#1a8f47}
.mark::after{content:"";display:block;width:44px;height:84px;margin:26px auto 0;border:solid #fff;border-width:0 16px 16px 0;transform:rotate(45deg)}
.bill{flex:1 1 280px;min-width:0}
.label{margin:0;font-size:13px;color:#5b6670}
.value{margin:2px 0 12px}
.subject{font-size:20px;font-weight:600;white-space:pre-wrap;overflow-wrap:anywhere;max-height:5.6em;overflow:hidden}
.amount{font-size:34px;font-weight:700;color:#b4400b}
.time{font-size:24px;font-variant-numeric:tabular-nums}
.status{margin:6px 0 0;padding:10px 12px;border-radius:8px;background:#e8f0fe;color:#123d7a;font-size:20px;font-weight:700}
.status .en{display:block;font-size:15px;font-weight:400}
.detail,.note{margin:6px 0 0;font-size:15px;overflow-wrap:anywhere}
.note{color:#8a5a00}
.ref{margin:12px 0 0;font-size:12px;color:#6b7680;overflow-wrap:anywhere}
body:not([data-state=waiting]) .countdown{display:none}
body[data-state=paid]{background:#1a8f47}
body[data-state=paid] main{border-color:#0f6b33;background:#eaf8ef}
body[data-state=paid] .mark{display:block}
body[data-state=paid] .status{background:#1a8f47;color:#fff}
body[data-state=closed] .status,body[data-state=expired] .status,body[data-state=replaced] .status,body[data-state=failed] .status,body[data-state=pending] .status,body[data-state=error] .status{background:#fdecea;color:#8f1d1d}
@media (max-width:599px){body{padding:8px}main{padding:14px;gap:14px}.amount{font-size:30px}}
"""#
}
