"""Public-opinion incidents (舆情, A5; R2 Art.18-20; R1 Art.10): opened by an admin
(``/incident`` as a reply, or ``groupguard incident open``) or automatically on a risk signal
(rules/opinion); walked through 记录 → 分析研判 → 确认事实 → 妥善处理 → 报告, each step with who,
when and a note; the proposed handling (处置意见) goes to the 分管主任 tier at once, a major
risk (重大舆情风险) to the cyberspace-office tier. Every row is journaled."""
