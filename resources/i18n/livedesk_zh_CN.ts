<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>App</name>
    <message>
        <source>Something went wrong. Your data is safe; the details are in the log file.</source>
        <translation>出了点问题。您的数据是安全的，详情已记录在日志文件中。</translation>
    </message>
    <message>
        <source>To make a new store there, run: %1</source>
        <translation>如需在这里新建数据库，请运行：%1</translation>
    </message>
</context>
<context>
    <name>ArrivalsModel</name>
    <message>
        <source>entered</source>
        <translation>进入直播间</translation>
    </message>
    <message>
        <source>said: %1</source>
        <translation>说：%1</translation>
    </message>
    <message>
        <source>sent a gift</source>
        <translation>送了礼物</translation>
    </message>
    <message>
        <source>followed</source>
        <translation>关注了</translation>
    </message>
    <message>
        <source>shared</source>
        <translation>分享了</translation>
    </message>
    <message>
        <source>new viewer</source>
        <translation>新观众</translation>
    </message>
    <message>
        <source>maybe %1</source>
        <translation>可能是 %1</translation>
    </message>
    <message>
        <source>Greeted in this broadcast</source>
        <translation>本场已欢迎</translation>
    </message>
</context>
<context>
    <name>BackupLabels</name>
    <message>
        <source>Backed up by hand</source>
        <translation>手动备份</translation>
    </message>
    <message>
        <source>Automatic (every 30 minutes)</source>
        <translation>自动（每 30 分钟）</translation>
    </message>
    <message>
        <source>Daily</source>
        <translation>每日</translation>
    </message>
    <message>
        <source>On closing</source>
        <translation>关闭时</translation>
    </message>
    <message>
        <source>Before an import</source>
        <translation>导入前</translation>
    </message>
    <message>
        <source>Before reverting an import</source>
        <translation>撤销导入前</translation>
    </message>
    <message>
        <source>Before merging customers</source>
        <translation>合并客户前</translation>
    </message>
    <message>
        <source>Before erasing a customer</source>
        <translation>删除客户前</translation>
    </message>
    <message>
        <source>Before encrypting the store</source>
        <translation>加密存储之前</translation>
    </message>
    <message>
        <source>Before decrypting the store</source>
        <translation>解密存储之前</translation>
    </message>
    <message>
        <source>Before changing the passphrase</source>
        <translation>修改密码之前</translation>
    </message>
    <message>
        <source>The store replaced by a restore</source>
        <translation>恢复时被替换的数据库</translation>
    </message>
    <message>
        <source>Before upgrading the store</source>
        <translation>升级数据库前</translation>
    </message>
    <message>
        <source>The disk is full. Free some space and try again.</source>
        <translation>磁盘已满。请腾出空间后重试。</translation>
    </message>
    <message>
        <source>The folder or the file is read-only: LiveDesk cannot write there.</source>
        <translation>文件夹或文件是只读的：LiveDesk 无法写入。</translation>
    </message>
    <message>
        <source>Another program is using the store (it is locked). Close it and try again.</source>
        <translation>另一个程序正在使用数据库（已被锁定）。请关闭该程序后重试。</translation>
    </message>
    <message>
        <source>The store is damaged.</source>
        <translation>数据库已损坏。</translation>
    </message>
    <message>
        <source>There is no store at this path.</source>
        <translation>这个路径下没有数据库。</translation>
    </message>
    <message>
        <source>The file is empty (0 bytes): it is not a store.</source>
        <translation>文件是空的（0 字节），不是数据库。</translation>
    </message>
    <message>
        <source>The file is not a LiveDesk store.</source>
        <translation>这个文件不是 LiveDesk 数据库。</translation>
    </message>
    <message>
        <source>The file was made by a newer LiveDesk. Update LiveDesk to use it.</source>
        <translation>这个文件由更新版本的 LiveDesk 创建。请先升级 LiveDesk。</translation>
    </message>
    <message>
        <source>The store is encrypted: its passphrase is needed.</source>
        <translation>存储已加密：需要它的密码。</translation>
    </message>
    <message>
        <source>The passphrase is wrong.</source>
        <translation>密码不对。</translation>
    </message>
    <message>
        <source>The store is encrypted and this LiveDesk cannot decrypt it.</source>
        <translation>存储已加密，这个 LiveDesk 无法解密。</translation>
    </message>
    <message>
        <source>An unexpected storage error. The details are in the log file.</source>
        <translation>出现了意外的存储错误，详情已记录在日志文件中。</translation>
    </message>
    <message>
        <source>This backup is damaged: it cannot be restored. Choose another one. The store was left unchanged.</source>
        <translation>这个备份已损坏，无法恢复，请选择另一个。数据库没有任何改动。</translation>
    </message>
    <message>
        <source>This file is not a LiveDesk backup. The store was left unchanged.</source>
        <translation>这个文件不是 LiveDesk 备份。数据库没有任何改动。</translation>
    </message>
    <message>
        <source>This backup was made by a newer LiveDesk: update LiveDesk to restore it. The store was left unchanged.</source>
        <translation>这个备份由更新版本的 LiveDesk 创建：请先升级 LiveDesk 再恢复。数据库没有任何改动。</translation>
    </message>
    <message>
        <source>This backup file is no longer there.</source>
        <translation>这个备份文件已经不在了。</translation>
    </message>
    <message>
        <source>This backup is encrypted with another passphrase (it was made before the passphrase was changed): it cannot be restored here. The store was left unchanged.</source>
        <translation>这份备份用另一个密码加密（是在修改密码之前做的）：这里无法恢复它。存储没有任何改动。</translation>
    </message>
    <message>
        <source>This backup file is empty (0 bytes).</source>
        <translation>这个备份文件是空的（0 字节）。</translation>
    </message>
    <message>
        <source>customers</source>
        <translation>位客户</translation>
    </message>
    <message>
        <source>orders</source>
        <translation>笔订单</translation>
    </message>
    <message>
        <source>notes</source>
        <translation>条备注</translation>
    </message>
    <message>
        <source>follow-up tasks</source>
        <translation>个跟进任务</translation>
    </message>
    <message>
        <source>imports</source>
        <translation>次导入</translation>
    </message>
    <message>
        <source>%1 customers, %2 orders</source>
        <translation>%1 位客户，%2 笔订单</translation>
    </message>
</context>
<context>
    <name>BackupsDialog</name>
    <message>
        <source>Backups that still hold the customer</source>
        <translation>仍含该客户的备份</translation>
    </message>
    <message numerus="yes">
        <source>%n backups made before the erasure still hold %1. Delete them now, or keep them until they expire.</source>
        <translation>
            <numerusform>删除前的 %n 个备份仍含有 %1 的资料。可以现在删除，或保留到它们过期。</numerusform>
        </translation>
    </message>
    <message>
        <source>Delete these backups</source>
        <translation>删除这些备份</translation>
    </message>
    <message>
        <source>Keep them</source>
        <translation>保留</translation>
    </message>
</context>
<context>
    <name>BackupsPage</name>
    <message>
        <source>LiveDesk backs the store up every 30 minutes when something changed, when it closes, and before every import, revert, merge and restore. Each copy is checked before it is kept.</source>
        <translation>数据有变化时 LiveDesk 每 30 分钟自动备份一次，关闭时、以及每次导入、撤销导入、合并和恢复之前也会备份。每份备份都先经过校验才保留。</translation>
    </message>
    <message>
        <source>When</source>
        <translation>时间</translation>
    </message>
    <message>
        <source>Why</source>
        <translation>原因</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>大小</translation>
    </message>
    <message>
        <source>Checked</source>
        <translation>校验</translation>
    </message>
    <message>
        <source>Holds</source>
        <translation>内容</translation>
    </message>
    <message>
        <source>Choose a backup to see what it holds.</source>
        <translation>选中一个备份，查看其中的内容。</translation>
    </message>
    <message>
        <source>Back up now</source>
        <translation>立即备份</translation>
    </message>
    <message>
        <source>Restore this backup…</source>
        <translation>恢复这个备份…</translation>
    </message>
    <message>
        <source>Backups</source>
        <translation>备份</translation>
    </message>
    <message>
        <source>A shared server is backed up by its own tools.</source>
        <translation>共享服务器请使用服务器自带的工具备份。</translation>
    </message>
    <message>
        <source>Backups are kept in %1</source>
        <translation>备份保存在 %1</translation>
    </message>
    <message>
        <source>Verified</source>
        <translation>已校验</translation>
    </message>
    <message>
        <source>Not verified</source>
        <translation>未通过校验</translation>
    </message>
    <message>
        <source>Not checked (old)</source>
        <translation>未校验（旧版备份）</translation>
    </message>
    <message>
        <source>%1 — %2: %3</source>
        <translation>%1 — %2：%3</translation>
    </message>
    <message>
        <source>counted when you restore it</source>
        <translation>恢复时统计</translation>
    </message>
    <message>
        <source>Backing up…</source>
        <translation>正在备份…</translation>
    </message>
    <message>
        <source>Backed up and verified: %1</source>
        <translation>已备份并校验：%1</translation>
    </message>
    <message>
        <source>Checking the backup…</source>
        <translation>正在检查备份…</translation>
    </message>
    <message>
        <source>Restore a backup</source>
        <translation>恢复备份</translation>
    </message>
    <message>
        <source>Replace the store with the backup of %1?

It holds %2.

The store as it is now is kept as a backup of its own, so this can be undone. LiveDesk restarts afterwards.</source>
        <translation>用 %1 的备份替换当前数据库吗？

备份中有 %2。

当前的数据库会另存为一份备份，可以撤回。恢复后 LiveDesk 会重新启动。</translation>
    </message>
    <message>
        <source>Restore</source>
        <translation>恢复</translation>
    </message>
    <message>
        <source>Restoring…</source>
        <translation>正在恢复…</translation>
    </message>
    <message>
        <source>Restored. The replaced store is kept at %1</source>
        <translation>已恢复。被替换的数据库保存在 %1</translation>
    </message>
</context>
<context>
    <name>BroadcastReportPage</name>
    <message>
        <source>Started</source>
        <translation>开始</translation>
    </message>
    <message>
        <source>Broadcast</source>
        <translation>直播</translation>
    </message>
    <message>
        <source>Broadcasts appear here once one has been started on the console</source>
        <translation>在控台开播后，直播会列在这里</translation>
    </message>
    <message>
        <source>Export report (XLSX)…</source>
        <translation>导出复盘（XLSX）…</translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation>加载中…</translation>
    </message>
    <message>
        <source>Viewers online, with the run-of-show</source>
        <translation>在线人数与排品</translation>
    </message>
    <message>
        <source>No run-of-show was planned for this broadcast</source>
        <translation>这场直播没有排品</translation>
    </message>
    <message>
        <source>Peak viewers</source>
        <translation>最高在线</translation>
    </message>
    <message>
        <source>VIPs greeted</source>
        <translation>VIP 欢迎率</translation>
    </message>
    <message>
        <source>Conversion</source>
        <translation>转化率</translation>
    </message>
    <message>
        <source>GMV</source>
        <translation>成交金额</translation>
    </message>
    <message>
        <source>Run-of-show: planned and actual</source>
        <translation>排品：计划与实际</translation>
    </message>
    <message>
        <source>The last broadcasts side by side</source>
        <translation>最近几场对比</translation>
    </message>
    <message>
        <source>Broadcasts</source>
        <translation>直播记录</translation>
    </message>
    <message>
        <source>No broadcast yet</source>
        <translation>还没有直播</translation>
    </message>
    <message>
        <source>Start a broadcast on the console; its report is here when it ends.</source>
        <translation>在控台开播；下播后复盘会出现在这里。</translation>
    </message>
    <message>
        <source>, </source>
        <translation>、</translation>
    </message>
    <message>
        <source>Peak %1 viewers, average %2. Known customers present: %3 (%4). VIPs greeted: %5 of %6 (%7).</source>
        <translation>最高在线 %1 人，平均 %2 人。到场老客 %3 位（%4）。已欢迎 VIP %5/%6（%7）。</translation>
    </message>
    <message>
        <source>Ordered within 24 h after the stream: %1 known viewers (%2), GMV %3; new buyers who commented: %4. From the orders imported so far.</source>
        <translation>下播后 24 小时内下单的老客 %1 位（%2），成交 %3；评论过的新买家 %4 位。按目前已导入的订单计算。</translation>
    </message>
    <message>
        <source>(none on air)</source>
        <translation>（未标记在播）</translation>
    </message>
    <message>
        <source>Run-of-show item</source>
        <translation>排品</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>类型</translation>
    </message>
    <message>
        <source>Planned</source>
        <translation>计划</translation>
    </message>
    <message>
        <source>Actual</source>
        <translation>实际</translation>
    </message>
    <message>
        <source>Viewers (start → end)</source>
        <translation>在线（开始 → 结束）</translation>
    </message>
    <message>
        <source>No room figures were recorded for this broadcast</source>
        <translation>这场直播没有记录到直播间数据</translation>
    </message>
    <message>
        <source>Online</source>
        <translation>在线</translation>
    </message>
    <message>
        <source>Comments/min</source>
        <translation>评论/分</translation>
    </message>
    <message>
        <source>Entries/min</source>
        <translation>进场/分</translation>
    </message>
    <message>
        <source>Excel workbook (*.xlsx)</source>
        <translation>Excel 工作簿 (*.xlsx)</translation>
    </message>
    <message>
        <source>Not exported: %1</source>
        <translation>未导出：%1</translation>
    </message>
    <message>
        <source>Exported to %1</source>
        <translation>已导出到 %1</translation>
    </message>
</context>
<context>
    <name>ChartCard</name>
    <message>
        <source>PNG</source>
        <translation>图片</translation>
    </message>
    <message>
        <source>XLSX</source>
        <translation>表格</translation>
    </message>
    <message>
        <source>No data</source>
        <translation>暂无数据</translation>
    </message>
    <message>
        <source>PNG image (*.png)</source>
        <translation>PNG 图片 (*.png)</translation>
    </message>
    <message>
        <source>Excel workbook (*.xlsx)</source>
        <translation>Excel 工作簿 (*.xlsx)</translation>
    </message>
</context>
<context>
    <name>CheckedEditor</name>
    <message numerus="yes">
        <source>%n risky words under the Advertising Law: reword them, or keep them only if you are sure they are allowed</source>
        <translation>
            <numerusform>%n 处广告法风险用语：请改写；只有确定允许时才保留</numerusform>
        </translation>
    </message>
    <message>
        <source>No absolute terms or medical claims found</source>
        <translation>未发现极限用语或医疗功效宣称</translation>
    </message>
</context>
<context>
    <name>ComplianceTermsBox</name>
    <message>
        <source>Advertising Law word list</source>
        <translation>广告法词表</translation>
    </message>
    <message>
        <source>%1 words ship with LiveDesk. Add the shop&apos;s own, one per line; after a colon, the reason shown to the team.</source>
        <translation>LiveDesk 自带 %1 个词。店铺自己的词每行一个；冒号后写给团队看的原因。</translation>
    </message>
    <message>
        <source>e.g. 秒杀: a word the platform forbids</source>
        <translation>例如 秒杀：平台不允许的说法</translation>
    </message>
    <message>
        <source>e.g. the shop&apos;s trademark that contains 最</source>
        <translation>例如 含“最”字的店铺商标</translation>
    </message>
    <message>
        <source>Also flag</source>
        <translation>另外标出</translation>
    </message>
    <message>
        <source>Never flag</source>
        <translation>永不标出</translation>
    </message>
</context>
<context>
    <name>ConsentDialog</name>
    <message>
        <source>Consent</source>
        <translation>授权同意</translation>
    </message>
    <message>
        <source>The customer agreed that the shop keeps their data</source>
        <translation>客户已同意店铺保存其个人信息</translation>
    </message>
    <message>
        <source>What they agreed to, where the record is</source>
        <translation>同意的内容、记录保存在哪里</translation>
    </message>
    <message>
        <source>Date</source>
        <translation>日期</translation>
    </message>
    <message>
        <source>Channel</source>
        <translation>渠道</translation>
    </message>
    <message>
        <source>Note</source>
        <translation>备注</translation>
    </message>
</context>
<context>
    <name>CouponBatchesBox</name>
    <message>
        <source>Coupon batches</source>
        <translation>优惠券批次</translation>
    </message>
    <message>
        <source>Batch</source>
        <translation>批次</translation>
    </message>
    <message>
        <source>Value</source>
        <translation>面额</translation>
    </message>
    <message>
        <source>Valid</source>
        <translation>有效期</translation>
    </message>
    <message>
        <source>Issued by</source>
        <translation>发放方式</translation>
    </message>
    <message>
        <source>Codes</source>
        <translation>券码数</translation>
    </message>
    <message>
        <source>Issued</source>
        <translation>已发放</translation>
    </message>
    <message>
        <source>Used</source>
        <translation>已使用</translation>
    </message>
    <message>
        <source>e.g. ¥20 comeback coupon</source>
        <translation>如 回归券 满99减20</translation>
    </message>
    <message>
        <source>Amount off</source>
        <translation>满减金额</translation>
    </message>
    <message>
        <source>Discount</source>
        <translation>折扣</translation>
    </message>
    <message>
        <source>Valid from</source>
        <translation>有效期从</translation>
    </message>
    <message>
        <source>Create batch</source>
        <translation>新建批次</translation>
    </message>
    <message>
        <source>Paste codes…</source>
        <translation>粘贴券码…</translation>
    </message>
    <message>
        <source>Import codes file…</source>
        <translation>导入券码文件…</translation>
    </message>
    <message>
        <source>Generate codes…</source>
        <translation>生成券码…</translation>
    </message>
    <message>
        <source>minimum spend</source>
        <translation>最低消费</translation>
    </message>
    <message>
        <source>to</source>
        <translation>至</translation>
    </message>
    <message>
        <source>Selected batch</source>
        <translation>选中的批次</translation>
    </message>
    <message>
        <source>New batch</source>
        <translation>新建批次</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>Days</source>
        <translation>日期</translation>
    </message>
    <message>
        <source>¥%1 off</source>
        <translation>减 ¥%1</translation>
    </message>
    <message>
        <source>%1 % of the price</source>
        <translation>按 %1% 付款</translation>
    </message>
    <message>
        <source>Spend ¥%1, %2</source>
        <translation>满 ¥%1 %2</translation>
    </message>
    <message>
        <source>By hand only</source>
        <translation>仅手动发放</translation>
    </message>
    <message>
        <source> % paid</source>
        <translation> % 实付</translation>
    </message>
    <message>
        <source>Always</source>
        <translation>长期有效</translation>
    </message>
    <message>
        <source>Batch created: now add its codes</source>
        <translation>批次已创建：请添加券码</translation>
    </message>
    <message>
        <source>%1 codes added</source>
        <translation>已添加 %1 个券码</translation>
    </message>
    <message>
        <source>; %1 were already in the store and left as they were</source>
        <translation>；%1 个券码已存在，保持不变</translation>
    </message>
    <message>
        <source>; %1 repeated</source>
        <translation>；%1 个重复</translation>
    </message>
    <message>
        <source>Paste codes</source>
        <translation>粘贴券码</translation>
    </message>
    <message>
        <source>Codes for %1, one per line:</source>
        <translation>%1 的券码，每行一个：</translation>
    </message>
    <message>
        <source>The platform&apos;s coupon export</source>
        <translation>平台导出的优惠券文件</translation>
    </message>
    <message>
        <source>Tables (*.csv *.xlsx)</source>
        <translation>表格 (*.csv *.xlsx)</translation>
    </message>
    <message>
        <source>Generate codes</source>
        <translation>生成券码</translation>
    </message>
    <message>
        <source>How many codes?</source>
        <translation>生成多少个券码？</translation>
    </message>
    <message>
        <source>%1 codes generated</source>
        <translation>已生成 %1 个券码</translation>
    </message>
    <message>
        <source>Saved: new tasks of this rule carry this batch&apos;s codes</source>
        <translation>已保存：该规则的新任务将附带本批次的券码</translation>
    </message>
    <message>
        <source>Saved: issued by hand only</source>
        <translation>已保存：仅手动发放</translation>
    </message>
</context>
<context>
    <name>CouponFiguresCard</name>
    <message>
        <source>Coupons from follow-ups: issued, used, and GMV of orders that used one</source>
        <translation>跟进发放的优惠券：发放、使用及用券订单 GMV</translation>
    </message>
    <message>
        <source>Issued by</source>
        <translation>发放方式</translation>
    </message>
    <message>
        <source>Issued</source>
        <translation>已发放</translation>
    </message>
    <message>
        <source>Used</source>
        <translation>已使用</translation>
    </message>
    <message>
        <source>Use rate</source>
        <translation>使用率</translation>
    </message>
    <message>
        <source>GMV of those orders</source>
        <translation>用券订单 GMV</translation>
    </message>
    <message>
        <source>No coupon issued yet: add a batch in Settings and choose its rule</source>
        <translation>尚未发放优惠券：请在设置中添加批次并选择发放规则</translation>
    </message>
    <message>
        <source>By hand</source>
        <translation>手动</translation>
    </message>
</context>
<context>
    <name>CustomerListModel</name>
    <message>
        <source>Nickname</source>
        <translation>昵称</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>姓名</translation>
    </message>
    <message>
        <source>Phone</source>
        <translation>手机</translation>
    </message>
    <message>
        <source>City</source>
        <translation>城市</translation>
    </message>
    <message>
        <source>Tier</source>
        <translation>分层</translation>
    </message>
    <message>
        <source>Level</source>
        <translation>会员等级</translation>
    </message>
    <message>
        <source>Orders</source>
        <translation>订单</translation>
    </message>
    <message>
        <source>Total spent</source>
        <translation>累计消费</translation>
    </message>
    <message>
        <source>Last order</source>
        <translation>最近下单</translation>
    </message>
    <message>
        <source>Growth points</source>
        <translation>成长值</translation>
    </message>
</context>
<context>
    <name>CustomerView</name>
    <message>
        <source>Push to host panel</source>
        <translation>推送到主播面板</translation>
    </message>
    <message>
        <source>Enter on a row of the list does the same</source>
        <translation>在列表里对某一行按回车也可以</translation>
    </message>
    <message>
        <source>New follow-up…</source>
        <translation>新建跟进…</translation>
    </message>
    <message>
        <source>Total spent</source>
        <translation>累计消费</translation>
    </message>
    <message>
        <source>Last 12 months</source>
        <translation>近12个月</translation>
    </message>
    <message>
        <source>Growth points</source>
        <translation>成长值</translation>
    </message>
    <message>
        <source>Orders kept</source>
        <translation>有效订单</translation>
    </message>
    <message>
        <source>Last order</source>
        <translation>最近下单</translation>
    </message>
    <message>
        <source>Profile</source>
        <translation>档案</translation>
    </message>
    <message>
        <source>Platform accounts</source>
        <translation>平台账号</translation>
    </message>
    <message>
        <source>VIP private sessions</source>
        <translation>私享会</translation>
    </message>
    <message>
        <source>Tags</source>
        <translation>标签</translation>
    </message>
    <message>
        <source>Add a tag, Enter</source>
        <translation>添加标签，回车</translation>
    </message>
    <message>
        <source>Notes</source>
        <translation>备注</translation>
    </message>
    <message>
        <source>Write a note…</source>
        <translation>写一条备注…</translation>
    </message>
    <message>
        <source>Add note</source>
        <translation>添加备注</translation>
    </message>
    <message>
        <source>Paid and completed orders: refunded and cancelled ones are not counted, as in the spend</source>
        <translation>已付款和已完成的订单；退款和取消的订单不计入，与累计消费一致</translation>
    </message>
    <message>
        <source>No orders yet</source>
        <translation>暂无订单</translation>
    </message>
    <message>
        <source>%1 refunded or cancelled, not in the Orders tile or the spend</source>
        <translation>其中 %1 笔已退款或取消，不计入有效订单和消费</translation>
    </message>
    <message>
        <source>e.g. %1 (several, separated by %2)</source>
        <translation>例如 %1（可填多项，用%2分隔）</translation>
    </message>
    <message>
        <source>Pinned</source>
        <translation>已置顶</translation>
    </message>
    <message>
        <source>%1 changed this note while you were editing it. Their text:

%2

Replace it with yours?</source>
        <translation>%1 在你编辑时修改了这条备注。对方的内容：

%2

要用你的内容替换吗？</translation>
    </message>
    <message>
        <source>Someone else</source>
        <translation>其他人</translation>
    </message>
    <message>
        <source>Customer erased</source>
        <translation>客户已删除</translation>
    </message>
    <message>
        <source>Not saved: %1</source>
        <translation>未保存：%1</translation>
    </message>
    <message>
        <source>Orders</source>
        <translation>订单</translation>
    </message>
    <message>
        <source>none</source>
        <translation>无</translation>
    </message>
    <message>
        <source>Latest %1 of %2 orders</source>
        <translation>最近 %1 笔，共 %2 笔订单</translation>
    </message>
    <message>
        <source>Birthday %1</source>
        <translation>生日 %1</translation>
    </message>
    <message>
        <source>Remove this tag</source>
        <translation>移除这个标签</translation>
    </message>
    <message>
        <source>Unpin</source>
        <translation>取消置顶</translation>
    </message>
    <message>
        <source>Pin</source>
        <translation>置顶</translation>
    </message>
    <message>
        <source>Edit</source>
        <translation>编辑</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>删除</translation>
    </message>
    <message>
        <source>Edit note</source>
        <translation>编辑备注</translation>
    </message>
    <message>
        <source>Note</source>
        <translation>备注</translation>
    </message>
</context>
<context>
    <name>CustomersPage</name>
    <message>
        <source>Search nickname, name, pinyin, handle or phone…</source>
        <translation>搜索昵称、姓名、拼音、抖音号或手机号…</translation>
    </message>
    <message>
        <source>All tiers</source>
        <translation>全部分层</translation>
    </message>
    <message>
        <source>All levels</source>
        <translation>全部等级</translation>
    </message>
    <message>
        <source>Show full phone numbers</source>
        <translation>显示完整手机号</translation>
    </message>
    <message>
        <source>Tools</source>
        <translation>工具</translation>
    </message>
    <message>
        <source>Find and merge duplicates…</source>
        <translation>查重合并…</translation>
    </message>
    <message>
        <source>Orders without a known buyer…</source>
        <translation>未识别买家的订单…</translation>
    </message>
    <message>
        <source>Export these customers…</source>
        <translation>导出这些客户…</translation>
    </message>
    <message>
        <source>Export their orders…</source>
        <translation>导出他们的订单…</translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation>加载中…</translation>
    </message>
    <message numerus="yes">
        <source>%n customers</source>
        <translation>
            <numerusform>共 %n 位客户</numerusform>
        </translation>
    </message>
    <message>
        <source>No customers yet. Import the shop&apos;s order exports on the Import page, or try LiveDesk with demo data: livedesk demo --customers 3000</source>
        <translation>还没有客户。可以在「导入」页导入店铺的订单导出文件，或者先用演示数据体验：livedesk demo --customers 3000</translation>
    </message>
    <message>
        <source>All tags</source>
        <translation>全部标签</translation>
    </message>
    <message>
        <source>Customer %1 was erased; their orders stay without name, phone or address.</source>
        <translation>客户 %1 已删除；其订单保留，但已去除姓名、电话和地址。</translation>
    </message>
    <message>
        <source>Export customers</source>
        <translation>导出客户</translation>
    </message>
    <message>
        <source>Export orders</source>
        <translation>导出订单</translation>
    </message>
    <message>
        <source>Exporting…</source>
        <translation>导出中…</translation>
    </message>
    <message>
        <source>Exported %1 rows to %2</source>
        <translation>已导出 %1 行到 %2</translation>
    </message>
</context>
<context>
    <name>DashboardPage</name>
    <message>
        <source>Custom</source>
        <translation>自定义</translation>
    </message>
    <message>
        <source>Reload data</source>
        <translation>重新读取数据</translation>
    </message>
    <message>
        <source>Period</source>
        <translation>时间范围</translation>
    </message>
    <message>
        <source>Buyers</source>
        <translation>买家数</translation>
    </message>
    <message>
        <source>Repurchase</source>
        <translation>复购率</translation>
    </message>
    <message>
        <source>Follow-ups on time</source>
        <translation>跟进及时率</translation>
    </message>
    <message>
        <source>Customers and GMV by tier (share)</source>
        <translation>各分层客户数与 GMV 占比</translation>
    </message>
    <message>
        <source>Repurchase rate by month</source>
        <translation>月度复购率</translation>
    </message>
    <message>
        <source>Average order value by month</source>
        <translation>月度客单价</translation>
    </message>
    <message>
        <source>Cohort retention (month of first purchase × months since)</source>
        <translation>同期群留存（首购月 × 之后第几个月）</translation>
    </message>
    <message>
        <source>Active vs lapsed buyers</source>
        <translation>活跃与流失买家</translation>
    </message>
    <message>
        <source>Follow-up SLA and NPS</source>
        <translation>跟进及时率与 NPS</translation>
    </message>
    <message>
        <source>VIP private sessions: what attendees and absentees bought</source>
        <translation>私享会：到场与未到场客户的购买</translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation>加载中…</translation>
    </message>
    <message>
        <source>No data</source>
        <translation>暂无数据</translation>
    </message>
    <message>
        <source>Customers</source>
        <translation>客户</translation>
    </message>
    <message>
        <source>GMV</source>
        <translation>GMV</translation>
    </message>
    <message numerus="yes">
        <source>Last %n months</source>
        <translation>
            <numerusform>近 %n 个月</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n paid orders</source>
        <translation>
            <numerusform>共 %n 笔已付订单</numerusform>
        </translation>
    </message>
    <message>
        <source>%1: %2 customers (%3), GMV %4 (%5)</source>
        <translation>%1：%2 位客户（%3），GMV %4（%5）</translation>
    </message>
    <message>
        <source>Repurchase rate</source>
        <translation>复购率</translation>
    </message>
    <message>
        <source>%1: %2 of %3 buyers bought again (%4)</source>
        <translation>%1：%3 位买家中 %2 位是回购（%4）</translation>
    </message>
    <message>
        <source>Average order value (¥)</source>
        <translation>客单价（元）</translation>
    </message>
    <message>
        <source>%1: %2 orders, GMV %3, average %4</source>
        <translation>%1：%2 笔订单，GMV %3，客单价 %4</translation>
    </message>
    <message>
        <source>No first purchases in this period</source>
        <translation>这段时间没有首购客户</translation>
    </message>
    <message>
        <source>Cohort %1, month %2: %3 still buying</source>
        <translation>%1 首购的客户，第 %2 个月：%3 仍在购买</translation>
    </message>
    <message>
        <source>Active</source>
        <translation>活跃</translation>
    </message>
    <message>
        <source>Dormant</source>
        <translation>沉睡</translation>
    </message>
    <message>
        <source>Lost</source>
        <translation>流失</translation>
    </message>
    <message>
        <source>%1: %2 active, %3 dormant, %4 lost</source>
        <translation>%1：活跃 %2，沉睡 %3，流失 %4</translation>
    </message>
    <message>
        <source>No follow-ups or survey answers in this period yet</source>
        <translation>这段时间还没有跟进任务或回访评分</translation>
    </message>
    <message>
        <source>Follow-ups on time (%)</source>
        <translation>按时跟进（%）</translation>
    </message>
    <message>
        <source>NPS</source>
        <translation>NPS</translation>
    </message>
    <message>
        <source>%1: %2 of %3 follow-ups on time, NPS %4 from %5 answers</source>
        <translation>%1：%3 个跟进中 %2 个按时完成，NPS %4（%5 份评分）</translation>
    </message>
    <message>
        <source>No private sessions in this period</source>
        <translation>这段时间没有私享会</translation>
    </message>
    <message>
        <source>Attendees (¥)</source>
        <translation>到场客户（元）</translation>
    </message>
    <message>
        <source>Absent (¥)</source>
        <translation>未到场（元）</translation>
    </message>
    <message>
        <source>%1: %2 of %3 came; %4 of attendees bought, %5 of the absent</source>
        <translation>%1：受邀 %3 位，到场 %2 位；到场客户 %4 下单，未到场 %5 下单</translation>
    </message>
</context>
<context>
    <name>DatabaseBox</name>
    <message>
        <source>Database</source>
        <translation>数据库</translation>
    </message>
    <message>
        <source>In use now</source>
        <translation>当前使用</translation>
    </message>
    <message>
        <source>Team server address</source>
        <translation>团队服务器地址</translation>
    </message>
    <message>
        <source>Leave it empty to keep the store in a file on this computer. A change takes effect when LiveDesk starts again.</source>
        <translation>留空则数据保存在本机文件中。修改在 LiveDesk 下次启动时生效。</translation>
    </message>
    <message>
        <source>Test connection</source>
        <translation>测试连接</translation>
    </message>
    <message>
        <source>Save</source>
        <translation>保存</translation>
    </message>
    <message>
        <source>This computer&apos;s file: %1</source>
        <translation>本机文件：%1</translation>
    </message>
    <message>
        <source>Team server %1, database %2, as %3</source>
        <translation>团队服务器 %1，数据库 %2，用户 %3</translation>
    </message>
    <message>
        <source>Type the server&apos;s address first</source>
        <translation>请先填写服务器地址</translation>
    </message>
    <message>
        <source>Connecting…</source>
        <translation>正在连接…</translation>
    </message>
    <message>
        <source>Connected (PostgreSQL %1). The database is empty: LiveDesk sets it up at the next start.</source>
        <translation>连接成功（PostgreSQL %1）。数据库是空的：LiveDesk 下次启动时会自动建好。</translation>
    </message>
    <message>
        <source>Connected (PostgreSQL %1), a LiveDesk store is there.</source>
        <translation>连接成功（PostgreSQL %1），数据库里已有 LiveDesk 数据。</translation>
    </message>
    <message>
        <source>The address is not understood. It looks like postgresql://user:password@host:5432/database</source>
        <translation>地址格式不对。应类似 postgresql://用户名:密码@主机:5432/数据库名</translation>
    </message>
    <message>
        <source>Only PostgreSQL servers (postgresql://…) can be a team store</source>
        <translation>团队数据库只支持 PostgreSQL 服务器（postgresql://…）</translation>
    </message>
    <message>
        <source>This LiveDesk lacks its PostgreSQL driver: reinstall LiveDesk</source>
        <translation>此 LiveDesk 缺少 PostgreSQL 驱动：请重新安装 LiveDesk</translation>
    </message>
    <message>
        <source>The server does not answer: check the address and port, that it is running and that this computer is on the same network</source>
        <translation>服务器无响应：请检查地址和端口、服务器是否在运行、本机是否在同一网络</translation>
    </message>
    <message>
        <source>The server refused the user name or password</source>
        <translation>服务器拒绝了用户名或密码</translation>
    </message>
    <message>
        <source>The server has no database of that name: ask whoever set it up, or create it (see docs/team.md)</source>
        <translation>服务器上没有这个数据库：请询问搭建服务器的人，或先创建它（见 docs/team.md）</translation>
    </message>
    <message>
        <source>Could not connect: %1</source>
        <translation>无法连接：%1</translation>
    </message>
    <message>
        <source>Saved: LiveDesk uses the team server from its next start</source>
        <translation>已保存：LiveDesk 下次启动起使用团队服务器</translation>
    </message>
    <message>
        <source>Saved: LiveDesk uses this computer&apos;s file from its next start</source>
        <translation>已保存：LiveDesk 下次启动起使用本机文件</translation>
    </message>
</context>
<context>
    <name>DouyinSyncBox</name>
    <message>
        <source>抖店 order sync (open platform)</source>
        <translation>抖店订单同步（开放平台）</translation>
    </message>
    <message>
        <source>App key</source>
        <translation>App Key</translation>
    </message>
    <message>
        <source>App secret (kept in the system&apos;s keychain)</source>
        <translation>App Secret（保存在系统钥匙串中）</translation>
    </message>
    <message>
        <source>Self-built app (自用型)</source>
        <translation>自用型应用</translation>
    </message>
    <message>
        <source>Tool app (工具型)</source>
        <translation>工具型应用</translation>
    </message>
    <message>
        <source>Shop id</source>
        <translation>店铺ID</translation>
    </message>
    <message>
        <source>Service id (服务市场)</source>
        <translation>服务ID（服务市场）</translation>
    </message>
    <message>
        <source>Keep</source>
        <translation>保存</translation>
    </message>
    <message>
        <source>Open the authorisation page</source>
        <translation>打开授权页面</translation>
    </message>
    <message>
        <source>Then paste the code (or the whole address) 抖店 gives</source>
        <translation>然后粘贴抖店给出的授权码（或整个网址）</translation>
    </message>
    <message>
        <source>Connect</source>
        <translation>连接</translation>
    </message>
    <message>
        <source>Sync now</source>
        <translation>立即同步</translation>
    </message>
    <message>
        <source>Every 30 minutes while LiveDesk is open</source>
        <translation>LiveDesk 打开时每 30 分钟同步一次</translation>
    </message>
    <message>
        <source>Kept in the system&apos;s keychain</source>
        <translation>已保存在系统钥匙串中</translation>
    </message>
    <message>
        <source>Ready to sync shop %1.</source>
        <translation>可以同步店铺 %1。</translation>
    </message>
    <message>
        <source>Now let the shop authorise LiveDesk: open the authorisation page, then paste the code.</source>
        <translation>接下来请店铺授权 LiveDesk：打开授权页面，然后粘贴授权码。</translation>
    </message>
    <message>
        <source>Enter the app key and secret of the shop&apos;s 抖店 app, and the shop id (a self-built app) or the service id (a tool app).</source>
        <translation>请输入店铺抖店应用的 App Key 和 App Secret，以及店铺ID（自用型应用）或服务ID（工具型应用）。</translation>
    </message>
    <message>
        <source>The app key, the app secret and the service id are all needed.</source>
        <translation>App Key、App Secret 和服务ID都需要填写。</translation>
    </message>
    <message>
        <source>The app key, the app secret and the shop id are all needed.</source>
        <translation>App Key、App Secret 和店铺ID 都需要填写。</translation>
    </message>
    <message>
        <source>Kept. Now let the shop authorise LiveDesk: open the authorisation page, then paste the code.</source>
        <translation>已保存。接下来请店铺授权 LiveDesk：打开授权页面，然后粘贴授权码。</translation>
    </message>
    <message>
        <source>Kept. The secret is in the system&apos;s keychain, not in LiveDesk&apos;s data.</source>
        <translation>已保存。密钥存放在系统钥匙串中，不在 LiveDesk 的数据里。</translation>
    </message>
    <message>
        <source>Enter the tool app&apos;s service id first.</source>
        <translation>请先输入工具型应用的服务ID。</translation>
    </message>
    <message>
        <source>The shop&apos;s owner authorises LiveDesk in the browser; 抖店 then shows a code (or opens an address with code=…): paste it here within 10 minutes.</source>
        <translation>请店主在浏览器中授权 LiveDesk；抖店随后会给出授权码（或打开一个带 code=… 的网址）：请在 10 分钟内粘贴到这里。</translation>
    </message>
    <message>
        <source>Connected: shop %1 %2 authorised LiveDesk. The tokens are in the system&apos;s keychain.</source>
        <translation>已连接：店铺 %1 %2 已授权 LiveDesk。令牌保存在系统钥匙串中。</translation>
    </message>
    <message>
        <source>Asking 抖店 for the shop&apos;s tokens…</source>
        <translation>正在向抖店获取店铺的令牌…</translation>
    </message>
    <message>
        <source>This computer has no keychain LiveDesk can use, so the secret cannot be kept safely.</source>
        <translation>这台电脑没有 LiveDesk 可用的钥匙串，无法安全保存密钥。</translation>
    </message>
    <message>
        <source>Asking 抖店 for the orders changed since the last sync…</source>
        <translation>正在向抖店获取上次同步以来有变化的订单…</translation>
    </message>
    <message>
        <source>Reading page %1 of %2…</source>
        <translation>正在读取第 %1 / %2 页…</translation>
    </message>
    <message>
        <source>Importing the orders…</source>
        <translation>正在导入订单…</translation>
    </message>
    <message>
        <source>Synced: %1 orders changed on 抖店; %2 new, %3 updated, %4 unchanged.</source>
        <translation>同步完成：抖店上有 %1 个订单有变化；新增 %2，更新 %3，未变 %4。</translation>
    </message>
    <message>
        <source>%1 wait for their buyer (Customers › Tools).</source>
        <translation>%1 个订单等待归入客户（客户 › 工具）。</translation>
    </message>
    <message>
        <source>Enter the app key and secret first.</source>
        <translation>请先填写 App Key 和 App Secret。</translation>
    </message>
    <message>
        <source>Nothing was written.</source>
        <translation>没有写入任何数据。</translation>
    </message>
    <message>
        <source>Some of 抖店&apos;s orders could not be read, so nothing was written.</source>
        <translation>抖店的部分订单无法读取，因此没有写入任何数据。</translation>
    </message>
    <message>
        <source>Cancelled: nothing was written.</source>
        <translation>已取消：没有写入任何数据。</translation>
    </message>
    <message>
        <source>Something went wrong; the log has the details.</source>
        <translation>出错了，详情见日志。</translation>
    </message>
</context>
<context>
    <name>DouyinWords</name>
    <message>
        <source>抖店 refused the signature: the app secret does not belong to this app key.</source>
        <translation>抖店拒绝了签名：App Secret 与该 App Key 不匹配。</translation>
    </message>
    <message>
        <source>抖店 asks to slow down (rate limit): try again in a few minutes.</source>
        <translation>抖店要求放慢请求（触发限流）：请几分钟后再试。</translation>
    </message>
    <message>
        <source>抖店 refused this computer&apos;s address: add it to the app&apos;s IP whitelist in the 抖店 open platform.</source>
        <translation>抖店拒绝了这台电脑的地址：请在抖店开放平台把它加入应用的 IP 白名单。</translation>
    </message>
    <message>
        <source>抖店 no longer accepts this app&apos;s authorisation: authorise it again.</source>
        <translation>抖店不再接受该应用的授权：请重新授权。</translation>
    </message>
    <message>
        <source>The shop&apos;s authorisation of LiveDesk was withdrawn or has lapsed: open the authorisation page and authorise it again.</source>
        <translation>店铺对 LiveDesk 的授权已被取消或已失效：请打开授权页面重新授权。</translation>
    </message>
    <message>
        <source>The shop has not authorised LiveDesk yet: open the authorisation page, authorise, then paste the code here.</source>
        <translation>店铺还没有授权 LiveDesk：请打开授权页面完成授权，再把授权码粘贴到这里。</translation>
    </message>
    <message>
        <source>That authorisation code is wrong or older than 10 minutes: authorise again for a new one.</source>
        <translation>授权码不正确或已超过 10 分钟：请重新授权以获取新的授权码。</translation>
    </message>
    <message>
        <source>抖店 does not know this app key, or the shop has not authorised the app.</source>
        <translation>抖店不认识这个 App Key，或店铺尚未授权该应用。</translation>
    </message>
    <message>
        <source>This app may not do that: ask for the permission in the 抖店 open platform.</source>
        <translation>该应用没有这项权限：请在抖店开放平台申请对应的接口权限。</translation>
    </message>
    <message>
        <source>The shop&apos;s decryption quota is used up: 抖店 gives more over time, or on request in the 抖店 open platform.</source>
        <translation>店铺的解密额度已用完：抖店会随时间发放新额度，也可在抖店开放平台申请。</translation>
    </message>
    <message>
        <source>抖店&apos;s risk control refuses to decrypt for now: try again later.</source>
        <translation>抖店风控暂时拒绝解密：请稍后再试。</translation>
    </message>
    <message>
        <source>抖店 is not answering properly right now: try again later.</source>
        <translation>抖店暂时无法正常响应：请稍后再试。</translation>
    </message>
    <message>
        <source>抖店 could not be reached, or the connection kept dropping: check the internet connection and try again.</source>
        <translation>无法连接抖店，或连接一再中断：请检查网络后重试。</translation>
    </message>
    <message>
        <source>抖店 refused the request.</source>
        <translation>抖店拒绝了请求。</translation>
    </message>
    <message>
        <source>not a 抖店 order LiveDesk has</source>
        <translation>LiveDesk 中没有这笔抖店订单</translation>
    </message>
    <message>
        <source>抖店 gave nothing to decrypt</source>
        <translation>抖店没有给出可解密的内容</translation>
    </message>
    <message>
        <source>抖店 refused it (a closed order, or a privacy rule)</source>
        <translation>抖店拒绝解密（订单已关闭或受隐私规则限制）</translation>
    </message>
    <message>
        <source>refused by 抖店&apos;s risk control for now</source>
        <translation>暂时被抖店风控拒绝</translation>
    </message>
    <message>
        <source>not asked: 抖店 stopped first</source>
        <translation>未请求：抖店已先行中止</translation>
    </message>
    <message>
        <source>nothing in it tells who the buyer is</source>
        <translation>解密结果无法识别买家</translation>
    </message>
    <message>
        <source>its buyer id is another customer&apos;s: see possible duplicates</source>
        <translation>其买家ID属于另一位客户：请查看疑似重复</translation>
    </message>
    <message>
        <source>Decrypted %1 of %2 orders (%3 counted against the shop&apos;s quota).</source>
        <translation>已解密 %2 笔订单中的 %1 笔（占用店铺解密额度 %3 条）。</translation>
    </message>
    <message>
        <source>%1 remain.</source>
        <translation>剩余 %1 条。</translation>
    </message>
    <message>
        <source>%1 orders now have their customer (%2 new customers).</source>
        <translation>%1 笔订单已找到客户（新建客户 %2 位）。</translation>
    </message>
    <message>
        <source>%1 customers got the name or phone they lacked.</source>
        <translation>%1 位客户补全了姓名或手机号。</translation>
    </message>
    <message>
        <source>%1 possible duplicates to look at.</source>
        <translation>有 %1 组疑似重复客户待查看。</translation>
    </message>
    <message>
        <source>Not decrypted: %1.</source>
        <translation>未解密：%1。</translation>
    </message>
</context>
<context>
    <name>DropZone</name>
    <message>
        <source>Drop the platform&apos;s order export here</source>
        <translation>把平台导出的订单文件拖到这里</translation>
    </message>
    <message>
        <source>CSV (UTF-8, GBK/GB18030) or Excel, as the platform exported it: Douyin, Taobao, Kuaishou, Channels, TikTok Shop, Shopify</source>
        <translation>CSV（UTF-8、GBK/GB18030）或 Excel，平台导出什么就用什么：抖音、淘宝、快手、视频号、TikTok Shop、Shopify</translation>
    </message>
    <message>
        <source>Choose a file…</source>
        <translation>选择文件…</translation>
    </message>
    <message>
        <source>No export at hand? Save LiveDesk&apos;s template (CSV) and fill it in</source>
        <translation>手头没有导出文件？保存 LiveDesk 的模板（CSV）填好再导入</translation>
    </message>
</context>
<context>
    <name>DuplicatesDialog</name>
    <message>
        <source>Possible duplicate customers</source>
        <translation>疑似重复客户</translation>
    </message>
    <message>
        <source>Looking for customers who may be one person…</source>
        <translation>正在查找可能是同一人的客户…</translation>
    </message>
    <message>
        <source>Customer</source>
        <translation>客户</translation>
    </message>
    <message>
        <source>May be the same as</source>
        <translation>可能与之相同</translation>
    </message>
    <message>
        <source>Why</source>
        <translation>依据</translation>
    </message>
    <message>
        <source>Likelihood</source>
        <translation>可能性</translation>
    </message>
    <message>
        <source>Kept</source>
        <translation>保留</translation>
    </message>
    <message>
        <source>Merged into it</source>
        <translation>并入</translation>
    </message>
    <message>
        <source>After the merge</source>
        <translation>合并后</translation>
    </message>
    <message>
        <source>Keep the other one</source>
        <translation>改为保留另一位</translation>
    </message>
    <message>
        <source>Merge…</source>
        <translation>合并…</translation>
    </message>
    <message>
        <source>Not the same person</source>
        <translation>不是同一人</translation>
    </message>
    <message>
        <source>%1 pairs may be one person (the likeliest first). Nothing is merged until you say so.</source>
        <translation>%1 对客户可能是同一人（可能性高的在前）。您确认之前不会合并任何人。</translation>
    </message>
    <message>
        <source>No possible duplicates: every customer looks like one person.</source>
        <translation>没有疑似重复：每位客户都像是独立的一个人。</translation>
    </message>
    <message>
        <source>same platform account</source>
        <translation>同一平台账号</translation>
    </message>
    <message>
        <source>same phone</source>
        <translation>同一手机号</translation>
    </message>
    <message>
        <source>same handle on one platform</source>
        <translation>同平台同账号名</translation>
    </message>
    <message>
        <source>full phone fits the other&apos;s masked one</source>
        <translation>完整手机号与对方的打码号吻合</translation>
    </message>
    <message>
        <source>same name and masked phone, other address</source>
        <translation>同名同打码手机号，地址不同</translation>
    </message>
    <message>
        <source>similar nickname, same city</source>
        <translation>昵称相近、同城</translation>
    </message>
    <message>
        <source>Preparing the preview…</source>
        <translation>正在准备预览…</translation>
    </message>
    <message>
        <source>Platform accounts</source>
        <translation>平台账号</translation>
    </message>
    <message>
        <source>Orders</source>
        <translation>订单</translation>
    </message>
    <message>
        <source>Spent</source>
        <translation>消费</translation>
    </message>
    <message>
        <source>Tier · level</source>
        <translation>分层 · 等级</translation>
    </message>
    <message>
        <source>Growth points</source>
        <translation>成长值</translation>
    </message>
    <message>
        <source>Notes</source>
        <translation>备注</translation>
    </message>
    <message>
        <source>Tags</source>
        <translation>标签</translation>
    </message>
    <message>
        <source>Open follow-ups</source>
        <translation>未完成跟进</translation>
    </message>
    <message>
        <source>Private-session invitations</source>
        <translation>私享会邀请</translation>
    </message>
    <message>
        <source>Merging moves %1 records to the kept customer and removes the other; the audit log keeps what was done.</source>
        <translation>合并会把 %1 条记录移到保留的客户名下并删除另一位；审计日志会记下这次操作。</translation>
    </message>
    <message>
        <source>Nickname</source>
        <translation>昵称</translation>
    </message>
    <message>
        <source>Real name</source>
        <translation>真实姓名</translation>
    </message>
    <message>
        <source>Phone</source>
        <translation>手机号</translation>
    </message>
    <message>
        <source>Masked phone</source>
        <translation>打码手机号</translation>
    </message>
    <message>
        <source>Gender</source>
        <translation>性别</translation>
    </message>
    <message>
        <source>Birthday</source>
        <translation>生日</translation>
    </message>
    <message>
        <source>Province</source>
        <translation>省份</translation>
    </message>
    <message>
        <source>City</source>
        <translation>城市</translation>
    </message>
    <message>
        <source>Address</source>
        <translation>地址</translation>
    </message>
    <message>
        <source>Assistant</source>
        <translation>专属客服</translation>
    </message>
    <message>
        <source>Consent given</source>
        <translation>授权时间</translation>
    </message>
    <message>
        <source>Consent channel</source>
        <translation>授权渠道</translation>
    </message>
    <message>
        <source>Consent note</source>
        <translation>授权说明</translation>
    </message>
    <message>
        <source>Customer since</source>
        <translation>成为客户</translation>
    </message>
    <message>
        <source>Female</source>
        <translation>女</translation>
    </message>
    <message>
        <source>Male</source>
        <translation>男</translation>
    </message>
    <message>
        <source>Merge customers</source>
        <translation>合并客户</translation>
    </message>
    <message>
        <source>Merge these two customers into one? Their orders, notes, tags, points and accounts are all kept.</source>
        <translation>把这两位客户合并为一位？订单、备注、标签、积分和账号都会保留。</translation>
    </message>
    <message>
        <source>Merged: one customer now holds everything.</source>
        <translation>已合并：所有记录都在一位客户名下。</translation>
    </message>
    <message>
        <source>Noted: this pair will not be proposed again.</source>
        <translation>已记下：这两位不会再被提示为重复。</translation>
    </message>
</context>
<context>
    <name>EncryptionBox</name>
    <message>
        <source>Encryption at rest</source>
        <translation>存储加密</translation>
    </message>
    <message>
        <source>Encrypt…</source>
        <translation>加密…</translation>
    </message>
    <message>
        <source>Change passphrase…</source>
        <translation>修改密码…</translation>
    </message>
    <message>
        <source>Decrypt…</source>
        <translation>解密…</translation>
    </message>
    <message>
        <source>Delete unencrypted backups…</source>
        <translation>删除未加密的备份…</translation>
    </message>
    <message>
        <source>The store and its backups are encrypted: they open only with the passphrase.</source>
        <translation>存储和它的备份都已加密：只有输入密码才能打开。</translation>
    </message>
    <message>
        <source>The store is not encrypted: anyone who copies this computer&apos;s files can read the customers&apos; phones and names.</source>
        <translation>存储没有加密：任何人复制这台电脑上的文件，都能读到客户的手机号和姓名。</translation>
    </message>
    <message numerus="yes">
        <source>%n older backup(s) are still unencrypted.</source>
        <translation>
            <numerusform>还有 %n 份较早的备份没有加密。</numerusform>
        </translation>
    </message>
    <message>
        <source>Only the owner can change this.</source>
        <translation>只有店主可以修改这一项。</translation>
    </message>
    <message>
        <source>LiveDesk will close, encrypt the store (after a backup) and open again. Close LiveDesk on this computer&apos;s other windows first. Nobody can open the store or its new backups without this passphrase, and a lost passphrase cannot be recovered.</source>
        <translation>LiveDesk 会先关闭，备份后加密存储，再重新打开。请先关闭这台电脑上其他的 LiveDesk 窗口。没有这个密码，谁都打不开存储和它新的备份；密码丢了无法找回。</translation>
    </message>
    <message>
        <source>LiveDesk will close, re-encrypt the store with the new passphrase (after a backup) and open again. Older backups keep the old passphrase.</source>
        <translation>LiveDesk 会先关闭，备份后用新密码重新加密存储，再重新打开。较早的备份仍使用旧密码。</translation>
    </message>
    <message>
        <source>Decrypt the store</source>
        <translation>解密存储</translation>
    </message>
    <message>
        <source>LiveDesk will close, write the store back unencrypted (after a backup) and open again. Anyone who copies this computer&apos;s files can then read it. Decrypt?</source>
        <translation>LiveDesk 会先关闭，备份后把存储写回未加密的文件，再重新打开。之后任何人复制这台电脑上的文件都能读到它。确定解密吗？</translation>
    </message>
    <message>
        <source>Delete unencrypted backups</source>
        <translation>删除未加密的备份</translation>
    </message>
    <message numerus="yes">
        <source>Delete the %n backup(s) made before the store was encrypted? The encrypted backups stay.</source>
        <translation>
            <numerusform>删除存储加密之前做的 %n 份备份吗？已加密的备份会保留。</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Deleted %n unencrypted backup(s).</source>
        <translation>
            <numerusform>已删除 %n 份未加密的备份。</numerusform>
        </translation>
    </message>
    <message>
        <source>Converting the store…</source>
        <translation>正在转换存储…</translation>
    </message>
    <message>
        <source>The converted copy did not check out.</source>
        <translation>转换后的副本没有通过检查。</translation>
    </message>
    <message>
        <source>The store is unchanged.</source>
        <translation>存储没有任何改动。</translation>
    </message>
    <message>
        <source>This computer has no system keyring: the passphrase was not remembered. You will be asked for it when LiveDesk opens.</source>
        <translation>这台电脑没有系统钥匙串：密码没有记住。LiveDesk 打开时会请你输入。</translation>
    </message>
</context>
<context>
    <name>EraseDialog</name>
    <message>
        <source>Erase customer</source>
        <translation>删除客户</translation>
    </message>
    <message>
        <source>Erase %1 (customer %2) for good?</source>
        <translation>要永久删除 %1（客户 %2）吗？</translation>
    </message>
    <message>
        <source>Deleted:</source>
        <translation>将删除：</translation>
    </message>
    <message>
        <source>%1 orders stay for the accounts, without name, phone, address or link to anyone. %2 audit entries lose this customer&apos;s details. Backups that still hold the customer are listed afterwards.</source>
        <translation>%1 个订单为记账保留，但去除姓名、电话、地址，也不再关联任何人。%2 条审计记录中的该客户信息将被抹去。删除后会列出仍含该客户的备份。</translation>
    </message>
    <message>
        <source>I understand this cannot be undone</source>
        <translation>我知道此操作无法撤销</translation>
    </message>
    <message>
        <source>Erase</source>
        <translation>删除</translation>
    </message>
</context>
<context>
    <name>Errors</name>
    <message>
        <source>Give the broadcast a title</source>
        <translation>请给这场直播起个标题</translation>
    </message>
    <message>
        <source>Unknown platform %1</source>
        <translation>不认识的平台 %1</translation>
    </message>
    <message>
        <source>“%1” is still on air: end it before starting another</source>
        <translation>“%1”还在直播中：先结束它再开新的一场</translation>
    </message>
    <message>
        <source>“%1” is already on air in this room</source>
        <translation>这个直播间已经在播“%1”</translation>
    </message>
    <message>
        <source>That broadcast no longer exists</source>
        <translation>这场直播已不存在</translation>
    </message>
    <message>
        <source>“%1” has already ended</source>
        <translation>“%1”已经结束了</translation>
    </message>
    <message>
        <source>The feed is recorded during a live broadcast: start one first</source>
        <translation>弹幕只在直播中记录：请先开始直播</translation>
    </message>
    <message>
        <source>Start a broadcast to record greetings</source>
        <translation>开播后才能记录打招呼</translation>
    </message>
    <message>
        <source>That customer no longer exists</source>
        <translation>这位客户已不存在</translation>
    </message>
    <message>
        <source>%1 is already recording this broadcast&apos;s feed</source>
        <translation>%1 已经在记录这场直播的弹幕</translation>
    </message>
    <message>
        <source>Another computer</source>
        <translation>另一台电脑</translation>
    </message>
    <message>
        <source>This task was already handled (perhaps on another screen)</source>
        <translation>这条任务已经处理过了（可能是在另一台电脑上）</translation>
    </message>
    <message>
        <source>Unknown outcome</source>
        <translation>不认识的处理结果</translation>
    </message>
    <message>
        <source>Pick a time</source>
        <translation>请选择时间</translation>
    </message>
    <message>
        <source>Snooze to a time in the future</source>
        <translation>请推迟到一个将来的时间</translation>
    </message>
    <message>
        <source>Type why you skip this task: a reason is required</source>
        <translation>请填写跳过的原因：跳过必须说明原因</translation>
    </message>
    <message>
        <source>Unknown kind of task</source>
        <translation>不认识的任务类型</translation>
    </message>
    <message>
        <source>Give the session a title</source>
        <translation>请给私享会起个标题</translation>
    </message>
    <message>
        <source>A session needs at least one seat</source>
        <translation>私享会至少要有一个名额</translation>
    </message>
    <message>
        <source>They already answered (%1): record a decline instead</source>
        <translation>对方已经回复（%1）：请改为记录婉拒</translation>
    </message>
    <message>
        <source>Unknown answer</source>
        <translation>不认识的回复</translation>
    </message>
    <message>
        <source>An invitation that is “%1” cannot become “%2”</source>
        <translation>邀请状态“%1”不能改为“%2”</translation>
    </message>
    <message>
        <source>No seat is free: the session is full</source>
        <translation>名额已满</translation>
    </message>
    <message>
        <source>No broadcast is linked to this session: pick the broadcast it ran as</source>
        <translation>这场私享会还没关联直播：请选择它对应的那场直播</translation>
    </message>
    <message>
        <source>That session no longer exists</source>
        <translation>这场私享会已不存在</translation>
    </message>
    <message>
        <source>That customer is not on this session&apos;s list</source>
        <translation>这位客户不在本场名单里</translation>
    </message>
    <message>
        <source>The template has placeholders LiveDesk does not know: %1. Known: %2</source>
        <translation>模板里有不认识的占位符：%1。可用的有：%2</translation>
    </message>
    <message>
        <source>The template has Advertising Law risk terms (%1): the owner must accept them under Message templates before it is used</source>
        <translation>模板含有广告法风险用语（%1）：需店主在消息模板里确认后才能使用</translation>
    </message>
    <message>
        <source>There is no template for “%1” follow-ups: add one under Message templates</source>
        <translation>没有“%1”跟进的消息模板：请在消息模板里添加</translation>
    </message>
    <message>
        <source>The run-of-show has no item %1</source>
        <translation>排品中没有第 %1 项</translation>
    </message>
    <message>
        <source>Line %1: “%2” is not a kind; choose product, lucky draw or flash deal</source>
        <translation>第 %1 行：“%2”不是类型；请选商品、抽奖或秒杀</translation>
    </message>
    <message>
        <source>Line %1: give the item a title or pick a product</source>
        <translation>第 %1 行：请填写名称或选择商品</translation>
    </message>
    <message>
        <source>Line %1: planned minutes must be between 0 and %2</source>
        <translation>第 %1 行：计划分钟须在 0 到 %2 之间</translation>
    </message>
    <message>
        <source>Line %1: that product is no longer in the catalogue; pick another</source>
        <translation>第 %1 行：该商品已不在商品库，请另选</translation>
    </message>
    <message>
        <source>“%1” is not a WebSocket address (ws://host:port)</source>
        <translation>“%1”不是 WebSocket 地址（ws://主机:端口）</translation>
    </message>
    <message>
        <source>LiveDesk only listens on this computer (127.0.0.1)</source>
        <translation>LiveDesk 只监听本机地址（127.0.0.1）</translation>
    </message>
    <message>
        <source>douyinLive needs the room id or its ws:// address</source>
        <translation>douyinLive 需要直播间号或它的 ws:// 地址</translation>
    </message>
    <message>
        <source>dycast needs an address like 127.0.0.1:8899</source>
        <translation>dycast 需要类似 127.0.0.1:8899 的地址</translation>
    </message>
    <message>
        <source>Unknown feed format</source>
        <translation>不认识的弹幕格式</translation>
    </message>
    <message>
        <source>The recorded feed file is missing</source>
        <translation>找不到录制的弹幕文件</translation>
    </message>
    <message>
        <source>The replay speed cannot be negative</source>
        <translation>回放速度不能是负数</translation>
    </message>
    <message>
        <source>This viewer has only a nickname: it changes and is shared, so it cannot be linked</source>
        <translation>这位观众只有昵称：昵称会变也会重名，不能用来关联</translation>
    </message>
    <message>
        <source>This account is already linked to another customer: merge the two if they are one person</source>
        <translation>这个账号已关联到另一位客户：如果是同一个人，请合并两位客户</translation>
    </message>
    <message>
        <source>The file is not there any more</source>
        <translation>文件已经不在了</translation>
    </message>
    <message>
        <source>The file has no header row</source>
        <translation>文件没有表头行</translation>
    </message>
    <message>
        <source>The file&apos;s text encoding cannot be recognised: save it as UTF-8 or GBK</source>
        <translation>无法识别文件的文字编码：请另存为 UTF-8 或 GBK</translation>
    </message>
    <message>
        <source>The file is empty</source>
        <translation>文件是空的</translation>
    </message>
    <message>
        <source>The file cannot be read past row %1</source>
        <translation>文件第 %1 行之后无法读取</translation>
    </message>
    <message>
        <source>The file is not a readable Excel workbook</source>
        <translation>这不是能读取的 Excel 文件</translation>
    </message>
    <message>
        <source>The file cannot be read as a table</source>
        <translation>文件无法按表格读取</translation>
    </message>
    <message>
        <source>A column choice does not fit this file: choose the columns again</source>
        <translation>有一列的对应关系和这个文件不符：请重新选择</translation>
    </message>
    <message>
        <source>Which platform is this export from? Choose it above</source>
        <translation>这是哪个平台导出的？请在上方选择来源</translation>
    </message>
    <message>
        <source>The VIP share must be more than 0 % and at most 100 %</source>
        <translation>高价值VIP比例必须大于 0% 且不超过 100%</translation>
    </message>
    <message>
        <source>The minimum spend cannot be negative and potential buyers need at least one order</source>
        <translation>最低消费不能为负，潜力活跃客至少要有一笔订单</translation>
    </message>
    <message>
        <source>“Active if they bought within” must be shorter than “Lost after nothing for”</source>
        <translation>“多少天内购买算活跃”必须短于“多少天没买算流失”</translation>
    </message>
    <message>
        <source>Each membership level needs its own spend threshold above zero</source>
        <translation>每个会员等级都需要一个大于零且不重复的消费门槛</translation>
    </message>
    <message>
        <source>The file name must end in .xlsx or .csv</source>
        <translation>文件名必须以 .xlsx 或 .csv 结尾</translation>
    </message>
    <message>
        <source>That is a folder: give a file name ending in .xlsx or .csv</source>
        <translation>这是一个文件夹：请输入以 .xlsx 或 .csv 结尾的文件名</translation>
    </message>
    <message>
        <source>The folder %1 does not exist</source>
        <translation>文件夹 %1 不存在</translation>
    </message>
    <message>
        <source>LiveDesk may not write in the folder %1</source>
        <translation>LiveDesk 没有权限写入文件夹 %1</translation>
    </message>
    <message>
        <source>Unknown tier</source>
        <translation>不认识的分层</translation>
    </message>
    <message>
        <source>nothing answers at that address: is the capture tool running?</source>
        <translation>这个地址没有回应：弹幕抓取工具开着吗？</translation>
    </message>
    <message>
        <source>the capture tool does not answer</source>
        <translation>抓取工具没有响应</translation>
    </message>
    <message>
        <source>the capture tool closed the connection</source>
        <translation>抓取工具断开了连接</translation>
    </message>
    <message>
        <source>the connection failed</source>
        <translation>连接失败</translation>
    </message>
    <message>
        <source>the capture tool&apos;s answer is not a live feed</source>
        <translation>抓取工具的回应不是弹幕数据</translation>
    </message>
    <message>
        <source>the feed is not set up right</source>
        <translation>弹幕设置不正确</translation>
    </message>
    <message>
        <source>The file cannot be imported</source>
        <translation>文件无法导入</translation>
    </message>
    <message>
        <source>The database cannot be used: %1</source>
        <translation>数据库无法使用：%1</translation>
    </message>
    <message>
        <source>That record no longer exists: another screen may have merged or removed it</source>
        <translation>这条记录已不存在：可能已在别处被合并或删除</translation>
    </message>
    <message>
        <source>Only an owner may do this: sign in first (Settings › Team)</source>
        <translation>只有店主可以这样做：请先登录（设置 › 团队）</translation>
    </message>
    <message>
        <source>Only an owner may do this (you act as %1)</source>
        <translation>只有店主可以这样做（当前身份：%1）</translation>
    </message>
    <message>
        <source>Nothing answers at that address: is the capture tool running?</source>
        <translation>这个地址没有回应：弹幕抓取工具开着吗？</translation>
    </message>
    <message>
        <source>LiveDesk may not use that file or folder: %1</source>
        <translation>LiveDesk 没有权限使用这个文件或文件夹：%1</translation>
    </message>
    <message>
        <source>No such file: %1</source>
        <translation>找不到文件：%1</translation>
    </message>
    <message>
        <source>The computer refused: %1</source>
        <translation>系统拒绝了操作：%1</translation>
    </message>
    <message>
        <source>Something went wrong; it is in the log. Your data is safe.</source>
        <translation>出了点问题，已记录在日志里。数据是安全的。</translation>
    </message>
</context>
<context>
    <name>ExperimentsDialog</name>
    <message>
        <source>A/B tests of follow-ups</source>
        <translation>跟进 A/B 测试</translation>
    </message>
    <message>
        <source>Test</source>
        <translation>测试</translation>
    </message>
    <message>
        <source>Rule</source>
        <translation>规则</translation>
    </message>
    <message>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Customers</source>
        <translation>客户数</translation>
    </message>
    <message>
        <source>New test…</source>
        <translation>新建测试…</translation>
    </message>
    <message>
        <source>Variant</source>
        <translation>方案</translation>
    </message>
    <message>
        <source>Message or coupon</source>
        <translation>话术或优惠券</translation>
    </message>
    <message>
        <source>Reply rate (95 % interval)</source>
        <translation>回复率（95% 区间）</translation>
    </message>
    <message>
        <source>Purchase rate (95 % interval)</source>
        <translation>购买率（95% 区间）</translation>
    </message>
    <message>
        <source>GMV per customer (95 % interval)</source>
        <translation>人均 GMV（95% 区间）</translation>
    </message>
    <message>
        <source>Against A</source>
        <translation>与 A 相比</translation>
    </message>
    <message>
        <source>Make this variant the default…</source>
        <translation>设为默认方案…</translation>
    </message>
    <message>
        <source>Stop without a winner</source>
        <translation>结束测试（不选胜出方案）</translation>
    </message>
    <message>
        <source>Running</source>
        <translation>进行中</translation>
    </message>
    <message>
        <source>Finished</source>
        <translation>已结束</translation>
    </message>
    <message>
        <source>No A/B test yet: start one with “New test…”</source>
        <translation>还没有 A/B 测试：点“新建测试…”开始</translation>
    </message>
    <message>
        <source>message</source>
        <translation>话术</translation>
    </message>
    <message>
        <source>coupon</source>
        <translation>优惠券</translation>
    </message>
    <message>
        <source>%1: the %2 of “%3”, orders within %4 days</source>
        <translation>%1：测试“%3”的%2，统计 %4 天内的订单</translation>
    </message>
    <message>
        <source>control</source>
        <translation>对照组</translation>
    </message>
    <message>
        <source>different (p %1)</source>
        <translation>差异显著（p %1）</translation>
    </message>
    <message>
        <source>no difference yet</source>
        <translation>暂无差异</translation>
    </message>
    <message>
        <source>not yet (p = %1): about %2 more customers</source>
        <translation>尚不显著（p = %1）：约还需 %2 位客户</translation>
    </message>
    <message>
        <source>Customers are assigned as their tasks are created; figures come with the first tasks.</source>
        <translation>客户在生成跟进任务时分组；有任务后才有数据。</translation>
    </message>
    <message>
        <source>Variant %1 sells better than A, and the difference is significant (two-proportion test, 5 %).</source>
        <translation>方案 %1 的购买率高于 A，差异显著（双比例检验，5% 水平）。</translation>
    </message>
    <message>
        <source>A sells better, and the difference is significant (two-proportion test, 5 %).</source>
        <translation>A 的购买率更高，差异显著（双比例检验，5% 水平）。</translation>
    </message>
    <message>
        <source>No significant difference in purchase rate yet.</source>
        <translation>购买率暂无显著差异。</translation>
    </message>
    <message>
        <source>The winning message cannot be saved as it is: check it in Templates</source>
        <translation>胜出的话术无法直接保存：请在模板中检查</translation>
    </message>
    <message>
        <source>Make variant %1 (%2) the default of “%3” and end the test?</source>
        <translation>将方案 %1（%2）设为“%3”的默认方案并结束测试？</translation>
    </message>
    <message>
        <source>Choose the winner</source>
        <translation>选择胜出方案</translation>
    </message>
</context>
<context>
    <name>FollowupRulesBox</name>
    <message>
        <source>Follow-up rules</source>
        <translation>跟进规则</translation>
    </message>
    <message>
        <source> days</source>
        <translation> 天</translation>
    </message>
    <message>
        <source> h</source>
        <translation> 小时</translation>
    </message>
    <message>
        <source>Monday</source>
        <translation>周一</translation>
    </message>
    <message>
        <source>Tuesday</source>
        <translation>周二</translation>
    </message>
    <message>
        <source>Wednesday</source>
        <translation>周三</translation>
    </message>
    <message>
        <source>Thursday</source>
        <translation>周四</translation>
    </message>
    <message>
        <source>Friday</source>
        <translation>周五</translation>
    </message>
    <message>
        <source>Saturday</source>
        <translation>周六</translation>
    </message>
    <message>
        <source>Sunday</source>
        <translation>周日</translation>
    </message>
    <message>
        <source>First-order welcome within</source>
        <translation>首单欢迎，下单后多久内</translation>
    </message>
    <message>
        <source>Thank-you after</source>
        <translation>致谢，下单后</translation>
    </message>
    <message>
        <source>Satisfaction survey after</source>
        <translation>满意度回访，下单后</translation>
    </message>
    <message>
        <source>Call-back within (refund, complaint note, survey score at most)</source>
        <translation>客诉回访时限（退款、投诉备注、评分不高于）</translation>
    </message>
    <message>
        <source>Wake-up after no purchase for, with coupon</source>
        <translation>沉睡唤醒：多久没买，附优惠券</translation>
    </message>
    <message>
        <source>Birthday greeting this many days before, with coupon</source>
        <translation>生日祝福：提前天数，附优惠券</translation>
    </message>
    <message>
        <source>Replenishment this many days before a product runs out</source>
        <translation>补货提醒：用完前提前天数</translation>
    </message>
    <message>
        <source>Weekly touch for each VIP, on</source>
        <translation>VIP 每周关怀，在</translation>
    </message>
</context>
<context>
    <name>FollowupsPage</name>
    <message>
        <source>Everyone</source>
        <translation>全部成员</translation>
    </message>
    <message>
        <source>Unassigned</source>
        <translation>未分配</translation>
    </message>
    <message>
        <source>All kinds</source>
        <translation>全部类型</translation>
    </message>
    <message>
        <source>Look for new tasks now</source>
        <translation>立即检查新任务</translation>
    </message>
    <message>
        <source>Nothing to follow up right now: new tasks appear here when they are due</source>
        <translation>现在没有需要跟进的客户：任务到期时会出现在这里</translation>
    </message>
    <message>
        <source>Nothing to follow up right now</source>
        <translation>现在没有需要跟进的客户</translation>
    </message>
    <message>
        <source>Copy message (C)</source>
        <translation>复制消息（C）</translation>
    </message>
    <message>
        <source>Reason to skip, Enter</source>
        <translation>跳过原因，回车</translation>
    </message>
    <message>
        <source>Snooze a day (S)</source>
        <translation>推迟一天（S）</translation>
    </message>
    <message>
        <source>What they said</source>
        <translation>客户的原话</translation>
    </message>
    <message>
        <source>Record answer</source>
        <translation>记录评分</translation>
    </message>
    <message>
        <source>Score 0–10</source>
        <translation>评分 0–10</translation>
    </message>
    <message>
        <source>New task for this customer (N)</source>
        <translation>为该客户新建跟进 (N)</translation>
    </message>
    <message>
        <source>Message to send</source>
        <translation>要发送的消息</translation>
    </message>
    <message>
        <source>Replied</source>
        <translation>已回复</translation>
    </message>
    <message>
        <source>Bought</source>
        <translation>已下单</translation>
    </message>
    <message>
        <source>No answer</source>
        <translation>未回复</translation>
    </message>
    <message>
        <source>Wrong contact</source>
        <translation>联系方式有误</translation>
    </message>
    <message numerus="yes">
        <source>%n tasks</source>
        <translation>
            <numerusform>共 %n 个任务</numerusform>
        </translation>
    </message>
    <message>
        <source>Skipped: %1</source>
        <translation>已跳过：%1</translation>
    </message>
    <message>
        <source>, %1 overdue</source>
        <translation>，%1 个已逾期</translation>
    </message>
    <message>
        <source>WeChat remark: %1</source>
        <translation>微信备注：%1</translation>
    </message>
    <message>
        <source>Phone %1</source>
        <translation>手机 %1</translation>
    </message>
    <message>
        <source>No way to reach them is recorded: add a WeChat remark on the customer page</source>
        <translation>还没有记录联系方式：可在客户页填写微信备注</translation>
    </message>
    <message>
        <source>Reach: %1</source>
        <translation>联系方式：%1</translation>
    </message>
    <message>
        <source>Message copied: send it, then record what happened (1–4)</source>
        <translation>消息已复制：发出后记录结果（1–4）</translation>
    </message>
    <message>
        <source>Done: %1 (%2)</source>
        <translation>已处理：%1（%2）</translation>
    </message>
    <message>
        <source>Snoozed until %2: %1</source>
        <translation>已推迟到 %2：%1</translation>
    </message>
    <message>
        <source>Answer recorded: %1</source>
        <translation>已记录回访结果：%1</translation>
    </message>
    <message>
        <source>Task added for %1</source>
        <translation>已为 %1 新建跟进</translation>
    </message>
</context>
<context>
    <name>HostPanel</name>
    <message>
        <source>LiveDesk host panel</source>
        <translation>LiveDesk 主播面板</translation>
    </message>
    <message>
        <source>Always on top</source>
        <translation>窗口置顶</translation>
    </message>
    <message>
        <source>Standard text</source>
        <translation>标准字号</translation>
    </message>
    <message>
        <source>Large text</source>
        <translation>大字号</translation>
    </message>
    <message>
        <source>Extra large text (TV)</source>
        <translation>特大字号（电视）</translation>
    </message>
    <message>
        <source>Waiting for viewers…</source>
        <translation>等待观众进入直播间…</translation>
    </message>
    <message>
        <source>Just arrived: press 1–6</source>
        <translation>刚进直播间：按 1–6 调出</translation>
    </message>
    <message>
        <source>Just arrived: nobody yet</source>
        <translation>刚进直播间：暂时没有老客户</translation>
    </message>
</context>
<context>
    <name>ImportPage</name>
    <message>
        <source>Choose an order export…</source>
        <translation>选择订单导出文件…</translation>
    </message>
    <message>
        <source>CSV (UTF-8, GBK/GB18030) or Excel, as the platform exported it</source>
        <translation>CSV（UTF-8、GBK/GB18030）或 Excel，平台导出什么就选什么</translation>
    </message>
    <message>
        <source>Detect from the columns</source>
        <translation>按列名自动识别</translation>
    </message>
    <message>
        <source>Detect the encoding</source>
        <translation>自动识别编码</translation>
    </message>
    <message>
        <source>Source</source>
        <translation>来源</translation>
    </message>
    <message>
        <source>Columns → fields</source>
        <translation>列 → 字段</translation>
    </message>
    <message>
        <source>First rows of the file</source>
        <translation>文件前几行</translation>
    </message>
    <message>
        <source>Check only (write nothing)</source>
        <translation>只检查（不写入）</translation>
    </message>
    <message>
        <source>Import</source>
        <translation>导入</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Row</source>
        <translation>行号</translation>
    </message>
    <message>
        <source>Column</source>
        <translation>列</translation>
    </message>
    <message>
        <source>Value</source>
        <translation>值</translation>
    </message>
    <message>
        <source>Why</source>
        <translation>原因</translation>
    </message>
    <message>
        <source>Open the error report</source>
        <translation>打开错误报告</translation>
    </message>
    <message>
        <source>Review the possible duplicates…</source>
        <translation>查看疑似重复…</translation>
    </message>
    <message>
        <source>Imported</source>
        <translation>导入时间</translation>
    </message>
    <message>
        <source>File</source>
        <translation>文件</translation>
    </message>
    <message>
        <source>Rows</source>
        <translation>行数</translation>
    </message>
    <message>
        <source>New orders</source>
        <translation>新订单</translation>
    </message>
    <message>
        <source>Updated orders</source>
        <translation>更新订单</translation>
    </message>
    <message>
        <source>New customers</source>
        <translation>新客户</translation>
    </message>
    <message>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Revert the selected import…</source>
        <translation>撤销所选导入…</translation>
    </message>
    <message>
        <source>Earlier imports</source>
        <translation>导入记录</translation>
    </message>
    <message>
        <source>Save the order template</source>
        <translation>保存订单模板</translation>
    </message>
    <message>
        <source>Template saved: %1. Fill it in and drop it here.</source>
        <translation>模板已保存：%1。填好后拖到这里即可导入。</translation>
    </message>
    <message>
        <source>Choose an order export</source>
        <translation>选择订单导出文件</translation>
    </message>
    <message>
        <source>header on row %1</source>
        <translation>表头在第 %1 行</translation>
    </message>
    <message>
        <source>about %1 rows</source>
        <translation>约 %1 行</translation>
    </message>
    <message>
        <source>source not recognised: map the columns below</source>
        <translation>未识别来源：请在下方对应各列</translation>
    </message>
    <message>
        <source>recognised</source>
        <translation>已识别</translation>
    </message>
    <message>
        <source>as last time</source>
        <translation>沿用上次</translation>
    </message>
    <message>
        <source>your choice</source>
        <translation>手动指定</translation>
    </message>
    <message>
        <source>a guess: check it</source>
        <translation>猜测，请核对</translation>
    </message>
    <message>
        <source>— not imported —</source>
        <translation>— 不导入 —</translation>
    </message>
    <message>
        <source>The column&apos;s name is close to this field but not the same (payable is not paid): choose the right column or confirm this one</source>
        <translation>这一列的名称与字段相近但不相同（应付不等于实付）：请选择正确的列，或确认就用这一列</translation>
    </message>
    <message>
        <source>Reading…</source>
        <translation>读取中…</translation>
    </message>
    <message>
        <source>Preparing</source>
        <translation>准备中</translation>
    </message>
    <message>
        <source>Importing rows</source>
        <translation>导入中</translation>
    </message>
    <message>
        <source>Checking rows</source>
        <translation>检查中</translation>
    </message>
    <message>
        <source>Matching customers</source>
        <translation>匹配客户中</translation>
    </message>
    <message>
        <source>Writing orders</source>
        <translation>写入订单中</translation>
    </message>
    <message>
        <source>Saving, then tiers and points</source>
        <translation>保存并更新分层与积分</translation>
    </message>
    <message>
        <source>Cancelling…</source>
        <translation>正在取消…</translation>
    </message>
    <message>
        <source>%1 rows read: %2 new orders, %3 updated, %4 unchanged; %5 new customers, %6 matched to existing ones; %7 possible duplicates to review.</source>
        <translation>读取 %1 行：新订单 %2，更新 %3，未变 %4；新客户 %5，匹配到已有客户 %6；疑似重复 %7 个待确认。</translation>
    </message>
    <message>
        <source>%1 orders came without a buyer anyone can recognise: they count in the figures and wait under Customers › Tools › Orders without a known buyer.</source>
        <translation>%1 个订单没有可识别的买家：已计入数据，在 客户 › 工具 › 未识别买家的订单 中等待归入客户。</translation>
    </message>
    <message>
        <source>%1 orders were left as a newer export had them.</source>
        <translation>%1 个订单保持较新导出中的状态未改。</translation>
    </message>
    <message numerus="yes">
        <source>%n rows cannot be read, so nothing was written. Fix them in the file (or the mapping) and import again.</source>
        <translation>
            <numerusform>%n 行无法读取，因此没有写入任何数据。请在文件（或列对应）中改正后重新导入。</numerusform>
        </translation>
    </message>
    <message>
        <source>The list of errors is saved (only you can read it) in %1</source>
        <translation>错误清单已保存（仅您本人可读）：%1</translation>
    </message>
    <message>
        <source>The file is valid. Nothing was written yet.</source>
        <translation>文件没有问题，尚未写入。</translation>
    </message>
    <message>
        <source>Imported in %1 s.</source>
        <translation>导入完成，用时 %1 秒。</translation>
    </message>
    <message>
        <source>Cancelled: nothing was written.</source>
        <translation>已取消：没有写入任何数据。</translation>
    </message>
    <message>
        <source>The file does not exist (any more).</source>
        <translation>文件不存在（或已被移走）。</translation>
    </message>
    <message>
        <source>The file is empty.</source>
        <translation>文件是空的。</translation>
    </message>
    <message>
        <source>No header row was found in the file&apos;s first rows.</source>
        <translation>在文件开头几行中没有找到表头。</translation>
    </message>
    <message>
        <source>The header has %1 columns; at most 1,000 are read. Is this an order export?</source>
        <translation>表头有 %1 列，最多只读取 1000 列。这是订单导出文件吗？</translation>
    </message>
    <message>
        <source>Unknown text encoding: %1</source>
        <translation>无法识别的文字编码：%1</translation>
    </message>
    <message>
        <source>The file&apos;s first rows cannot be read as a table.</source>
        <translation>文件开头几行无法作为表格读取。</translation>
    </message>
    <message>
        <source>The workbook&apos;s text is too big to read safely (%1). Save the sheet as CSV and import that.</source>
        <translation>工作簿中的文字过大，无法安全读取（%1）。请将工作表另存为 CSV 后再导入。</translation>
    </message>
    <message>
        <source>The file is not an Excel workbook LiveDesk can read (damaged, or another format).</source>
        <translation>该文件不是 LiveDesk 能读取的 Excel 工作簿（已损坏或是其他格式）。</translation>
    </message>
    <message>
        <source>required, but empty</source>
        <translation>必填，但为空</translation>
    </message>
    <message>
        <source>not an amount: write 1299.00, ¥1,299.00 or 1299元</source>
        <translation>不是金额：请写成 1299.00、¥1,299.00 或 1299元</translation>
    </message>
    <message>
        <source>an amount cannot be negative</source>
        <translation>金额不能为负</translation>
    </message>
    <message>
        <source>more than two decimals: amounts are in fen at most</source>
        <translation>超过两位小数：金额最多精确到分</translation>
    </message>
    <message>
        <source>the quantity must be a whole number above 0</source>
        <translation>数量应为大于 0 的整数</translation>
    </message>
    <message>
        <source>not a date and time: write it like 2024-05-01 12:30:00</source>
        <translation>不是日期时间：请写成 2024-05-01 12:30:00 这样的格式</translation>
    </message>
    <message>
        <source>not a phone number</source>
        <translation>不是手机号</translation>
    </message>
    <message>
        <source>an order status LiveDesk does not know</source>
        <translation>无法识别的订单状态</translation>
    </message>
    <message>
        <source>too long</source>
        <translation>内容过长</translation>
    </message>
    <message>
        <source>the file has no column for this field: choose one in Columns → fields</source>
        <translation>文件里没有这个字段的列：请在“列 → 字段”中选择</translation>
    </message>
    <message>
        <source>a platform LiveDesk does not know</source>
        <translation>无法识别的平台</translation>
    </message>
    <message>
        <source>the row cannot be read: more cells than the header, or broken text</source>
        <translation>此行无法读取：单元格比表头多，或文字编码损坏</translation>
    </message>
    <message>
        <source>bytes that are not text in the file&apos;s encoding: save the file again as UTF-8 or GBK, or choose its encoding</source>
        <translation>这些字节不是文件所用编码的文字：请将文件另存为 UTF-8 或 GBK，或选择文件的编码</translation>
    </message>
    <message>
        <source>this row is GBK while the rest of the file is UTF-8: save the whole file in one encoding</source>
        <translation>此行是 GBK 编码，而文件其余部分是 UTF-8：请将整个文件另存为同一种编码</translation>
    </message>
    <message>
        <source>this row is UTF-8 while the rest of the file is GBK: save the whole file in one encoding</source>
        <translation>此行是 UTF-8 编码，而文件其余部分是 GBK：请将整个文件另存为同一种编码</translation>
    </message>
    <message>
        <source>a cell over 32,767 characters (Excel&apos;s limit)</source>
        <translation>单元格超过 32767 个字符（Excel 的上限）</translation>
    </message>
    <message>
        <source>a row over 4 MB: it was not read</source>
        <translation>此行超过 4 MB，未读取</translation>
    </message>
    <message>
        <source>imported</source>
        <translation>已导入</translation>
    </message>
    <message>
        <source>reverted</source>
        <translation>已撤销</translation>
    </message>
    <message>
        <source>failed</source>
        <translation>失败</translation>
    </message>
    <message>
        <source>running</source>
        <translation>进行中</translation>
    </message>
    <message>
        <source>Pick an import in the list first.</source>
        <translation>请先在列表中选择一次导入。</translation>
    </message>
    <message>
        <source>Only a finished import can be reverted.</source>
        <translation>只有已完成的导入可以撤销。</translation>
    </message>
    <message>
        <source>Revert import</source>
        <translation>撤销导入</translation>
    </message>
    <message>
        <source>Remove the %1 orders of %2 and the customers it created? Customers it only added orders to stay, with their notes, tags and points.</source>
        <translation>删除 %2 导入的 %1 笔订单及其新建的客户？只是被补充了订单的已有客户会保留，备注、标签和积分不变。</translation>
    </message>
    <message>
        <source>Reverted: %1 orders and %2 customers removed, %3 customers kept (they have other orders or notes now).</source>
        <translation>已撤销：删除 %1 笔订单、%2 位客户；保留 %3 位客户（他们现在有其他订单或备注）。</translation>
    </message>
</context>
<context>
    <name>IntentTermsBox</name>
    <message>
        <source>Comment intents word list</source>
        <translation>评论意图词库</translation>
    </message>
    <message>
        <source>Add the words your room uses, one per line: the word, a colon, what it means (%1). The next feed you connect uses them.</source>
        <translation>每行一个直播间常用的词：词语、冒号、它的意思（%1）。下次连接评论源时生效。</translation>
    </message>
    <message>
        <source>e.g. 蹲一个：%1</source>
        <translation>例如 蹲一个：%1</translation>
    </message>
    <message>
        <source>e.g. 福袋</source>
        <translation>例如 福袋</translation>
    </message>
    <message>
        <source>Comment intents, line %1: after the colon, one of: %2</source>
        <translation>评论意图第 %1 行：冒号后请写以下之一：%2</translation>
    </message>
    <message>
        <source>Also tag</source>
        <translation>也标出</translation>
    </message>
    <message>
        <source>Never tag</source>
        <translation>不要标出</translation>
    </message>
</context>
<context>
    <name>InvitationsModel</name>
    <message>
        <source>Customer</source>
        <translation>客户</translation>
    </message>
    <message>
        <source>Tier</source>
        <translation>分层</translation>
    </message>
    <message>
        <source>Level</source>
        <translation>会员等级</translation>
    </message>
    <message>
        <source>RSVP</source>
        <translation>回复</translation>
    </message>
    <message>
        <source>waitlist #%1</source>
        <translation>候补第 %1 位</translation>
    </message>
</context>
<context>
    <name>KnownArrivals</name>
    <message>
        <source>just now</source>
        <translation>刚刚</translation>
    </message>
    <message numerus="yes">
        <source>%n min ago</source>
        <translation>
            <numerusform>%n 分钟前</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>Labels</name>
    <message>
        <source>High-value VIP</source>
        <translation>高价值VIP</translation>
    </message>
    <message>
        <source>Potential active</source>
        <translation>潜力活跃客</translation>
    </message>
    <message>
        <source>New buyer</source>
        <translation>普通新客</translation>
    </message>
    <message>
        <source>Dormant</source>
        <translation>沉睡客</translation>
    </message>
    <message>
        <source>Lost</source>
        <translation>流失客</translation>
    </message>
    <message>
        <source>Not yet bought</source>
        <translation>未购客</translation>
    </message>
    <message>
        <source>Member</source>
        <translation>会员</translation>
    </message>
    <message>
        <source>Silver Diamond member</source>
        <translation>银钻会员</translation>
    </message>
    <message>
        <source>Gold Diamond member</source>
        <translation>金钻会员</translation>
    </message>
    <message>
        <source>Welcome home, %1 %2</source>
        <translation>欢迎%1%2回家</translation>
    </message>
    <message>
        <source>Welcome home, %2</source>
        <translation>欢迎%2回家</translation>
    </message>
    <message>
        <source>Welcome, %1 %2, we saved something good for you</source>
        <translation>欢迎%1%2，今天给您留了好东西</translation>
    </message>
    <message>
        <source>Welcome, %2</source>
        <translation>欢迎%2</translation>
    </message>
    <message>
        <source>%2 is here! Good to see you again</source>
        <translation>%2来啦！老朋友好久不见</translation>
    </message>
    <message>
        <source>%2 is here!</source>
        <translation>%2来啦！</translation>
    </message>
    <message>
        <source>Welcome %2, first time here? Ask me anything</source>
        <translation>欢迎%2第一次来直播间，有问题随时问我</translation>
    </message>
    <message>
        <source>Welcome to the stream, %2</source>
        <translation>欢迎%2来到直播间</translation>
    </message>
    <message>
        <source>Douyin</source>
        <translation>抖音</translation>
    </message>
    <message>
        <source>Taobao</source>
        <translation>淘宝</translation>
    </message>
    <message>
        <source>Kuaishou</source>
        <translation>快手</translation>
    </message>
    <message>
        <source>WeChat Channels</source>
        <translation>视频号</translation>
    </message>
    <message>
        <source>TikTok Shop</source>
        <translation>TikTok Shop</translation>
    </message>
    <message>
        <source>Shopify</source>
        <translation>Shopify</translation>
    </message>
    <message>
        <source>LiveDesk template</source>
        <translation>LiveDesk 模板</translation>
    </message>
    <message>
        <source>Pending</source>
        <translation>待付款</translation>
    </message>
    <message>
        <source>Paid</source>
        <translation>已付款</translation>
    </message>
    <message>
        <source>Completed</source>
        <translation>已完成</translation>
    </message>
    <message>
        <source>Cancelled</source>
        <translation>已取消</translation>
    </message>
    <message>
        <source>Refunded</source>
        <translation>已退款</translation>
    </message>
    <message>
        <source>Champions</source>
        <translation>重要价值客户</translation>
    </message>
    <message>
        <source>Loyal</source>
        <translation>忠诚客户</translation>
    </message>
    <message>
        <source>Potential loyalist</source>
        <translation>潜力忠诚客户</translation>
    </message>
    <message>
        <source>New customer</source>
        <translation>新客户</translation>
    </message>
    <message>
        <source>Promising</source>
        <translation>有潜力客户</translation>
    </message>
    <message>
        <source>Needs attention</source>
        <translation>需要关注</translation>
    </message>
    <message>
        <source>At risk</source>
        <translation>流失风险</translation>
    </message>
    <message>
        <source>Can&apos;t lose them</source>
        <translation>重要挽留客户</translation>
    </message>
    <message>
        <source>Hibernating</source>
        <translation>休眠客户</translation>
    </message>
    <message>
        <source>Order number</source>
        <translation>订单编号</translation>
    </message>
    <message>
        <source>Item line number</source>
        <translation>子订单编号</translation>
    </message>
    <message>
        <source>Product</source>
        <translation>商品</translation>
    </message>
    <message>
        <source>Product / SKU id</source>
        <translation>商品/SKU 编号</translation>
    </message>
    <message>
        <source>Quantity</source>
        <translation>数量</translation>
    </message>
    <message>
        <source>Unit price</source>
        <translation>单价</translation>
    </message>
    <message>
        <source>Item amount</source>
        <translation>商品金额</translation>
    </message>
    <message>
        <source>Order total paid</source>
        <translation>订单实付金额</translation>
    </message>
    <message>
        <source>Ordered at</source>
        <translation>下单时间</translation>
    </message>
    <message>
        <source>Paid at</source>
        <translation>支付时间</translation>
    </message>
    <message>
        <source>Order status</source>
        <translation>订单状态</translation>
    </message>
    <message>
        <source>After-sale status</source>
        <translation>售后状态</translation>
    </message>
    <message>
        <source>Buyer id</source>
        <translation>买家 ID</translation>
    </message>
    <message>
        <source>Buyer nickname</source>
        <translation>买家昵称</translation>
    </message>
    <message>
        <source>Recipient</source>
        <translation>收件人</translation>
    </message>
    <message>
        <source>Recipient phone</source>
        <translation>收件人手机号</translation>
    </message>
    <message>
        <source>Province</source>
        <translation>省份</translation>
    </message>
    <message>
        <source>City</source>
        <translation>城市</translation>
    </message>
    <message>
        <source>Address</source>
        <translation>地址</translation>
    </message>
    <message>
        <source>Platform</source>
        <translation>平台</translation>
    </message>
    <message>
        <source>invited</source>
        <translation>已邀请</translation>
    </message>
    <message>
        <source>accepted</source>
        <translation>接受</translation>
    </message>
    <message>
        <source>declined</source>
        <translation>婉拒</translation>
    </message>
    <message>
        <source>no answer</source>
        <translation>未回复</translation>
    </message>
    <message>
        <source>attended</source>
        <translation>已到场</translation>
    </message>
    <message>
        <source>no-show</source>
        <translation>未到场</translation>
    </message>
    <message>
        <source>waitlist</source>
        <translation>候补</translation>
    </message>
    <message>
        <source>WeChat</source>
        <translation>微信</translation>
    </message>
    <message>
        <source>Platform chat</source>
        <translation>平台客服聊天</translation>
    </message>
    <message>
        <source>Phone call</source>
        <translation>电话</translation>
    </message>
    <message>
        <source>In person</source>
        <translation>当面</translation>
    </message>
    <message>
        <source>Paper form</source>
        <translation>纸质表格</translation>
    </message>
    <message>
        <source>Online form</source>
        <translation>线上表单</translation>
    </message>
    <message>
        <source>Other</source>
        <translation>其他</translation>
    </message>
    <message>
        <source>The customer&apos;s record</source>
        <translation>客户档案</translation>
    </message>
    <message>
        <source>Notes</source>
        <translation>备注</translation>
    </message>
    <message>
        <source>Profile values</source>
        <translation>画像信息</translation>
    </message>
    <message>
        <source>Tags</source>
        <translation>标签</translation>
    </message>
    <message>
        <source>Follow-up tasks</source>
        <translation>跟进任务</translation>
    </message>
    <message>
        <source>Survey answers</source>
        <translation>满意度回访</translation>
    </message>
    <message>
        <source>Growth point entries</source>
        <translation>成长值记录</translation>
    </message>
    <message>
        <source>Membership level history</source>
        <translation>会员等级变动</translation>
    </message>
    <message>
        <source>VIP session invitations</source>
        <translation>私享会邀请</translation>
    </message>
    <message>
        <source>Possible duplicate pairs</source>
        <translation>疑似重复客户</translation>
    </message>
    <message>
        <source>Live appearances</source>
        <translation>直播间出现记录</translation>
    </message>
    <message>
        <source>Live comments&apos; intents</source>
        <translation>直播评论意图记录</translation>
    </message>
    <message>
        <source>Platform accounts</source>
        <translation>平台账号</translation>
    </message>
    <message>
        <source>First-order welcome</source>
        <translation>首单欢迎</translation>
    </message>
    <message>
        <source>24 h thank-you</source>
        <translation>24小时致谢</translation>
    </message>
    <message>
        <source>48 h survey</source>
        <translation>48小时回访</translation>
    </message>
    <message>
        <source>Complaint call-back</source>
        <translation>客诉回访</translation>
    </message>
    <message>
        <source>30-day wake-up</source>
        <translation>30天唤醒</translation>
    </message>
    <message>
        <source>Birthday</source>
        <translation>生日关怀</translation>
    </message>
    <message>
        <source>Replenishment</source>
        <translation>补货提醒</translation>
    </message>
    <message>
        <source>Weekly VIP touch</source>
        <translation>VIP每周关怀</translation>
    </message>
    <message>
        <source>Private session reminder</source>
        <translation>私享会提醒</translation>
    </message>
    <message>
        <source>Manual</source>
        <translation>手动</translation>
    </message>
    <message>
        <source>wants to buy</source>
        <translation>想买</translation>
    </message>
    <message>
        <source>link</source>
        <translation>要链接</translation>
    </message>
    <message>
        <source>price</source>
        <translation>问价</translation>
    </message>
    <message>
        <source>size</source>
        <translation>尺码</translation>
    </message>
    <message>
        <source>shade</source>
        <translation>色号</translation>
    </message>
    <message>
        <source>suits me?</source>
        <translation>适用吗</translation>
    </message>
    <message>
        <source>stock</source>
        <translation>库存</translation>
    </message>
    <message>
        <source>shipping</source>
        <translation>发货</translation>
    </message>
    <message>
        <source>complaint</source>
        <translation>投诉</translation>
    </message>
    <message>
        <source>Lucky draw</source>
        <translation>抽奖</translation>
    </message>
    <message>
        <source>Flash deal</source>
        <translation>秒杀</translation>
    </message>
    <message>
        <source>The disk is full: nothing was written. Free some space and try again.</source>
        <translation>磁盘已满，没有写入任何数据。请腾出空间后重试。</translation>
    </message>
    <message>
        <source>The store is in use by another program (another LiveDesk window or command) and stayed locked: nothing was written. Try again when it is done.</source>
        <translation>数据库正被另一个程序（另一个 LiveDesk 窗口或命令）占用并一直锁定，没有写入任何数据。请等它完成后重试。</translation>
    </message>
    <message>
        <source>The folder or the store cannot be written to (read-only, or not yours): nothing was written.</source>
        <translation>无法写入该文件夹或数据库（只读，或不属于您），没有写入任何数据。</translation>
    </message>
    <message>
        <source>%1 min</source>
        <translation>%1 分钟</translation>
    </message>
    <message>
        <source>%1 h</source>
        <translation>%1 小时</translation>
    </message>
    <message>
        <source>%1 h %2 min</source>
        <translation>%1 小时 %2 分钟</translation>
    </message>
    <message>
        <source>, </source>
        <translation>、</translation>
    </message>
    <message>
        <source>phone …%1</source>
        <translation>尾号 %1</translation>
    </message>
    <message>
        <source>last order %1</source>
        <translation>最近下单 %1</translation>
    </message>
    <message>
        <source>no order yet</source>
        <translation>尚未下单</translation>
    </message>
    <message>
        <source>Gold Diamond member arrives</source>
        <translation>金钻会员进场</translation>
    </message>
    <message>
        <source>Silver Diamond member arrives</source>
        <translation>银钻会员进场</translation>
    </message>
    <message>
        <source>VIP arrives</source>
        <translation>VIP 进场</translation>
    </message>
    <message>
        <source>New buyer arrives</source>
        <translation>新客进场</translation>
    </message>
    <message>
        <source>Default welcome</source>
        <translation>默认欢迎</translation>
    </message>
    <message>
        <source>24-hour thank-you</source>
        <translation>24小时致谢</translation>
    </message>
    <message>
        <source>Satisfaction survey</source>
        <translation>满意度回访</translation>
    </message>
    <message>
        <source>Wake-up</source>
        <translation>沉睡唤醒</translation>
    </message>
    <message>
        <source>Birthday greeting</source>
        <translation>生日祝福</translation>
    </message>
    <message>
        <source>Replenishment reminder</source>
        <translation>补货提醒</translation>
    </message>
    <message>
        <source>Manual follow-up</source>
        <translation>手动跟进</translation>
    </message>
    <message>
        <source>Private session invitation</source>
        <translation>私享会邀请</translation>
    </message>
    <message>
        <source>The customer&apos;s nickname</source>
        <translation>客户的昵称</translation>
    </message>
    <message>
        <source>Membership level, e.g. Gold Diamond member</source>
        <translation>会员等级，如 金钻会员</translation>
    </message>
    <message>
        <source>The product they bought last</source>
        <translation>最近一次购买的商品</translation>
    </message>
    <message>
        <source>The task&apos;s product (replenishment); else the product bought last</source>
        <translation>任务相关的商品（补货提醒），没有时同 上次购买商品</translation>
    </message>
    <message>
        <source>The coupon of the task or of the rule in settings</source>
        <translation>任务或规则设置里的优惠券</translation>
    </message>
    <message>
        <source>Birthday, e.g. 8 March</source>
        <translation>生日，如 3月8日</translation>
    </message>
    <message>
        <source>The shop&apos;s name</source>
        <translation>店铺名称</translation>
    </message>
    <message>
        <source>The customer&apos;s dedicated assistant</source>
        <translation>客户的专属客服</translation>
    </message>
    <message>
        <source>The private session&apos;s title (invitation)</source>
        <translation>私享会的标题（邀请函）</translation>
    </message>
    <message>
        <source>When the private session starts (invitation)</source>
        <translation>私享会的开始时间（邀请函）</translation>
    </message>
    <message>
        <source>A 最-type absolute term, forbidden by Advertising Law art. 9(3)</source>
        <translation>“最”字类绝对化用语，《广告法》第九条第三项禁止</translation>
    </message>
    <message>
        <source>A ranking term (第一, 唯一, 首…), forbidden by Advertising Law art. 9(3)</source>
        <translation>“第一/唯一/首”类排名用语，《广告法》第九条第三项禁止</translation>
    </message>
    <message>
        <source>A grade term (级, 极, 顶…), forbidden by Advertising Law art. 9(3); national standard grades excepted</source>
        <translation>“级/极/顶”类等级用语，《广告法》第九条第三项禁止；国家标准等级除外</translation>
    </message>
    <message>
        <source>An absolute promise or exaggeration, forbidden by Advertising Law arts. 4 and 9</source>
        <translation>绝对化承诺或夸大用语，《广告法》第四条、第九条禁止</translation>
    </message>
    <message>
        <source>Uses the name of state bodies, leaders or well-known marks, forbidden by Advertising Law art. 9(2) and Trademark Law art. 14</source>
        <translation>冒用国家机关、领导人或驰名商标的名义，《广告法》第九条第二项、《商标法》第十四条禁止</translation>
    </message>
    <message>
        <source>A medical term or a claim to treat illness: only medicines and medical devices may say so (Advertising Law art. 17)</source>
        <translation>医疗用语或疾病治疗功效，非药品、医疗器械不得宣称（《广告法》第十七条）</translation>
    </message>
    <message>
        <source>An efficacy claim (whitening, spot removal, anti hair loss…) that ordinary cosmetics and foods may not make</source>
        <translation>功效宣称：美白、祛斑、防脱、丰胸等属特殊化妆品或保健食品功效，普通化妆品、普通食品不得宣称（《化妆品监督管理条例》第三十七条、《广告法》第十八条）</translation>
    </message>
    <message>
        <source>A safety guarantee or a claim for pregnant women, nursing mothers or babies: ads may not guarantee safety, and a host cannot vouch for it</source>
        <translation>安全性保证或特殊人群适用宣称（孕妇、哺乳期、婴幼儿）：广告不得含有安全性、功效的断言或保证（《广告法》第四条、第二十八条），孕妇婴幼儿适用须有依据，主播不能口头担保</translation>
    </message>
    <message>
        <source>A word the shop does not allow</source>
        <translation>店铺自定义的禁用词</translation>
    </message>
</context>
<context>
    <name>LivePage</name>
    <message>
        <source>Start broadcast…</source>
        <translation>开始直播…</translation>
    </message>
    <message>
        <source>End broadcast</source>
        <translation>结束直播</translation>
    </message>
    <message>
        <source>Nickname, pinyin, initials, handle or phone tail…</source>
        <translation>昵称、拼音、首字母、抖音号或手机尾号…</translation>
    </message>
    <message>
        <source>Type a nickname, pinyin, handle or phone tail</source>
        <translation>输入昵称、拼音、抖音号或手机尾号</translation>
    </message>
    <message>
        <source>Pick someone to see what the host will see</source>
        <translation>选中一位客户，这里显示主播面板上的样子</translation>
    </message>
    <message>
        <source>Quick note on the selected customer (Ctrl+N), Enter to save</source>
        <translation>给选中的客户记一条快速备注（Ctrl+N），回车保存</translation>
    </message>
    <message>
        <source>Push to host panel (Enter)</source>
        <translation>推送到主播面板（回车）</translation>
    </message>
    <message>
        <source>Greeted (Ctrl+G)</source>
        <translation>已打招呼（Ctrl+G）</translation>
    </message>
    <message>
        <source>Follow up later…</source>
        <translation>播后跟进…</translation>
    </message>
    <message>
        <source>A follow-up task for the selected customer, for after the stream</source>
        <translation>给选中的客户建一个播后跟进任务</translation>
    </message>
    <message>
        <source>Connect feed</source>
        <translation>接入弹幕</translation>
    </message>
    <message>
        <source>No live feed connected</source>
        <translation>未接入直播弹幕</translation>
    </message>
    <message>
        <source>Live feed</source>
        <translation>直播弹幕</translation>
    </message>
    <message>
        <source>Viewers who arrive or comment appear here once the live feed is connected</source>
        <translation>接入直播弹幕后，进场或评论的观众会出现在这里</translation>
    </message>
    <message>
        <source>This viewer is the selected customer</source>
        <translation>这位观众就是选中的客户</translation>
    </message>
    <message>
        <source>Pick a new or uncertain viewer on the left and the customer in the search results, then link them: next time they are recognised.</source>
        <translation>在左边选一位新观众或不确定的观众，在搜索结果里选中对应客户，然后关联：下次就能自动认出。</translation>
    </message>
    <message>
        <source>Just arrived or commented</source>
        <translation>刚进来或刚评论</translation>
    </message>
    <message>
        <source>No one found</source>
        <translation>没有找到</translation>
    </message>
    <message>
        <source>Sent to the host panel</source>
        <translation>已推送到主播面板</translation>
    </message>
    <message>
        <source>Note saved</source>
        <translation>备注已保存</translation>
    </message>
    <message>
        <source>Start a broadcast to record greetings</source>
        <translation>开播后才能记录打招呼</translation>
    </message>
    <message>
        <source>Marked as greeted</source>
        <translation>已记录打招呼</translation>
    </message>
    <message>
        <source>Disconnect</source>
        <translation>断开</translation>
    </message>
    <message numerus="yes">
        <source>Search index ready: %n customers</source>
        <translation>
            <numerusform>搜索索引已就绪：%n 位客户</numerusform>
        </translation>
    </message>
    <message>
        <source>Broadcast report…</source>
        <translation>直播复盘…</translation>
    </message>
    <message>
        <source>Complaint from %1: noted, call-back task created (24 h)</source>
        <translation>%1 投诉：已记录，并创建了 24 小时内回访任务</translation>
    </message>
    <message>
        <source>No one found: try the pinyin initials or the phone tail</source>
        <translation>没有找到：试试拼音首字母或手机尾号</translation>
    </message>
    <message>
        <source>Rehearsal (recorded broadcast)</source>
        <translation>彩排（录制的直播）</translation>
    </message>
    <message>
        <source>the demo broadcast, or a recorded .jsonl file</source>
        <translation>演示直播，或录制的 .jsonl 文件</translation>
    </message>
    <message>
        <source>%1%2: %3 · %4 events</source>
        <translation>%1%2：%3 · %4 条事件</translation>
    </message>
    <message>
        <source>%1 a second</source>
        <translation>每秒 %1 条</translation>
    </message>
    <message>
        <source>%1 unreadable</source>
        <translation>%1 条无法读取</translation>
    </message>
    <message>
        <source>%1 dropped</source>
        <translation>丢弃 %1 条</translation>
    </message>
    <message>
        <source>%1 reconnects</source>
        <translation>重连 %1 次</translation>
    </message>
    <message>
        <source>entry</source>
        <translation>进场</translation>
    </message>
    <message>
        <source>comment</source>
        <translation>评论</translation>
    </message>
    <message>
        <source>gift</source>
        <translation>礼物</translation>
    </message>
    <message>
        <source>like</source>
        <translation>点赞</translation>
    </message>
    <message>
        <source>⚠ %1: no “%2” events for %3 minutes while others arrive: the capture tool may be missing them</source>
        <translation>⚠ %1：已 %3 分钟没有“%2”事件，其他事件仍在到达：抓取工具可能漏掉了这类事件</translation>
    </message>
    <message>
        <source>⚠ %1: far fewer entries than the room&apos;s online count suggests (%2 per minute per viewer): the capture looks sampled</source>
        <translation>⚠ %1：进场人数远低于在线人数应有的水平（每分钟 %2），抓取的数据像是抽样的</translation>
    </message>
    <message>
        <source>%1: %2 anonymous or masked viewers (never matched to a customer)</source>
        <translation>%1：%2 位匿名或打码的观众（不会匹配到客户）</translation>
    </message>
    <message>
        <source>idle</source>
        <translation>空闲</translation>
    </message>
    <message>
        <source>connecting</source>
        <translation>连接中</translation>
    </message>
    <message>
        <source>connected</source>
        <translation>已连接</translation>
    </message>
    <message>
        <source>listening</source>
        <translation>监听中</translation>
    </message>
    <message>
        <source>retrying</source>
        <translation>重试中</translation>
    </message>
    <message>
        <source>finished</source>
        <translation>已播完</translation>
    </message>
    <message>
        <source>failed</source>
        <translation>失败</translation>
    </message>
    <message>
        <source>stopped</source>
        <translation>已停止</translation>
    </message>
    <message>
        <source>Pick a viewer on the left and a customer in the search results</source>
        <translation>请在左边选一位观众，并在搜索结果里选中客户</translation>
    </message>
    <message>
        <source>Linked: %1 will be recognised from now on</source>
        <translation>已关联：以后会自动认出 %1</translation>
    </message>
    <message>
        <source>On air: %1 (%2), since %3</source>
        <translation>直播中：%1（%2），%3 开播</translation>
    </message>
    <message>
        <source>Not on air</source>
        <translation>未开播</translation>
    </message>
    <message>
        <source>none</source>
        <translation>无</translation>
    </message>
    <message>
        <source>Known customers present: %1</source>
        <translation>到场老客：%1 位</translation>
    </message>
    <message>
        <source>VIPs present: %1</source>
        <translation>到场 VIP：%1 位</translation>
    </message>
    <message>
        <source>VIPs not greeted: %1</source>
        <translation>未打招呼的 VIP：%1</translation>
    </message>
    <message>
        <source>Notes logged: %1</source>
        <translation>记录备注：%1 条</translation>
    </message>
    <message>
        <source>New viewers to look at: %1</source>
        <translation>值得关注的新观众：%1</translation>
    </message>
    <message>
        <source>Sold: %1 orders, %2; buyers not known yet: %3 orders; conversion %4</source>
        <translation>成交：%1 单，%2；其中未识别买家 %3 单；转化率 %4</translation>
    </message>
    <message>
        <source>Broadcast summary</source>
        <translation>直播小结</translation>
    </message>
</context>
<context>
    <name>Loyalty</name>
    <message>
        <source>A/B tests…</source>
        <translation>A/B 测试…</translation>
    </message>
    <message>
        <source>Redeem…</source>
        <translation>兑换…</translation>
    </message>
    <message>
        <source>Spend this customer&apos;s points on a perk, or give a coupon</source>
        <translation>用该客户的积分兑换权益，或发放优惠券</translation>
    </message>
    <message>
        <source>%1 costs %2 points; the customer has %3</source>
        <translation>%1 需要 %2 积分；该客户只有 %3</translation>
    </message>
    <message>
        <source>%1 is switched off in the catalogue</source>
        <translation>%1 已在权益目录中停用</translation>
    </message>
    <message>
        <source>%1 cannot be redeemed yet</source>
        <translation>%1 尚未开始兑换</translation>
    </message>
    <message>
        <source>%1 can no longer be redeemed</source>
        <translation>%1 已过兑换期</translation>
    </message>
    <message>
        <source>%1 is not offered to this customer&apos;s tier</source>
        <translation>%1 不向该客户所在的客户层级开放</translation>
    </message>
    <message>
        <source>%1 is not offered to this customer&apos;s membership level</source>
        <translation>%1 不向该客户的会员等级开放</translation>
    </message>
    <message>
        <source>%1 is out of stock</source>
        <translation>%1 已兑完</translation>
    </message>
    <message>
        <source>This perk is no longer in the catalogue</source>
        <translation>该权益已不在目录中</translation>
    </message>
    <message>
        <source>Only the shop owner can do this</source>
        <translation>只有店主可以进行此操作</translation>
    </message>
    <message>
        <source>This redemption was already undone</source>
        <translation>这次兑换已经撤销过了</translation>
    </message>
    <message>
        <source>Only a redemption can be undone</source>
        <translation>只能撤销兑换记录</translation>
    </message>
    <message>
        <source>A perk needs a code (up to 32 characters) and a name</source>
        <translation>权益需要编码（最多 32 个字符）和名称</translation>
    </message>
    <message>
        <source>The cost must be more than 0 points</source>
        <translation>所需积分必须大于 0</translation>
    </message>
    <message>
        <source>The stock cannot be negative</source>
        <translation>库存不能为负数</translation>
    </message>
    <message>
        <source>The last day is before the first day</source>
        <translation>结束日期早于开始日期</translation>
    </message>
    <message>
        <source>A coupon batch needs a name (up to 64 characters)</source>
        <translation>优惠券批次需要名称（最多 64 个字符）</translation>
    </message>
    <message>
        <source>Give an amount off above ¥0, or a discount paying 1–99 % of the price</source>
        <translation>请填写大于 ¥0 的满减金额，或 1–99% 的折扣</translation>
    </message>
    <message>
        <source>There is already a coupon batch with this name</source>
        <translation>已有同名的优惠券批次</translation>
    </message>
    <message>
        <source>Not coupon codes (4–64 letters, digits, - or _): %1</source>
        <translation>不是有效券码（4–64 位字母、数字、- 或 _）：%1</translation>
    </message>
    <message>
        <source>%file, row %row, column %column: “%value” is not a coupon code (4–64 letters, digits, - or _)</source>
        <translation>%file 第 %row 行，“%column”列：“%value”不是有效券码（4–64 位字母、数字、- 或 _）</translation>
    </message>
    <message>
        <source>%file has no column of coupon codes (headed 券码 or 优惠券码); its columns: %headers</source>
        <translation>%file 中没有券码列（列名应为 券码 或 优惠券码）；文件的列：%headers</translation>
    </message>
    <message>
        <source>%file cannot be read as a table (CSV or XLSX)</source>
        <translation>无法将 %file 读取为表格（CSV 或 XLSX）</translation>
    </message>
    <message>
        <source>%1 has no codes left to issue: add or generate more</source>
        <translation>%1 的券码已发完：请添加或生成更多</translation>
    </message>
    <message>
        <source>%1 has expired</source>
        <translation>%1 已过期</translation>
    </message>
    <message>
        <source>Others were issuing codes at the same moment: try again</source>
        <translation>其他人正在同时发券：请重试</translation>
    </message>
    <message>
        <source>Generate 1 to 100,000 codes at a time</source>
        <translation>每次可生成 1 到 100,000 个券码</translation>
    </message>
    <message>
        <source>A prefix is up to 16 letters, digits, - or _</source>
        <translation>前缀最多 16 位字母、数字、- 或 _</translation>
    </message>
    <message>
        <source>Choose a follow-up rule</source>
        <translation>请选择跟进规则</translation>
    </message>
    <message>
        <source>A test needs a name (up to 64 characters)</source>
        <translation>测试需要名称（最多 64 个字符）</translation>
    </message>
    <message>
        <source>A test compares message templates or coupons</source>
        <translation>测试只能比较话术模板或优惠券</translation>
    </message>
    <message>
        <source>A test needs 2 to 6 variants, each with its own label and a template (or coupon batch)</source>
        <translation>测试需要 2 到 6 个方案，每个方案都要有不同的标签和模板（或优惠券批次）</translation>
    </message>
    <message>
        <source>This rule is already being tested by “%1”: finish that first</source>
        <translation>该规则正在由“%1”测试：请先结束它</translation>
    </message>
    <message>
        <source>Count orders within 1 to 90 days</source>
        <translation>订单统计天数须为 1 到 90 天</translation>
    </message>
    <message>
        <source>This variant&apos;s template or coupon batch no longer exists</source>
        <translation>该方案的模板或优惠券批次已不存在</translation>
    </message>
    <message>
        <source>This test has already finished</source>
        <translation>该测试已结束</translation>
    </message>
    <message>
        <source>Not done (%1)</source>
        <translation>未完成（%1）</translation>
    </message>
    <message>
        <source>It no longer exists: someone else may have removed it</source>
        <translation>已不存在：可能已被其他人删除</translation>
    </message>
    <message>
        <source>Not done: %1</source>
        <translation>未完成：%1</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>LiveDesk — live-stream customer desk</source>
        <translation>LiveDesk 直播客户工作台</translation>
    </message>
    <message>
        <source>Reconnecting…</source>
        <translation>重新连接中…</translation>
    </message>
    <message>
        <source>Customers</source>
        <translation>客户</translation>
    </message>
    <message>
        <source>Live</source>
        <translation>直播</translation>
    </message>
    <message>
        <source>Follow-ups</source>
        <translation>跟进</translation>
    </message>
    <message>
        <source>VIP sessions</source>
        <translation>私享会</translation>
    </message>
    <message>
        <source>Dashboard</source>
        <translation>看板</translation>
    </message>
    <message>
        <source>Import</source>
        <translation>导入</translation>
    </message>
    <message>
        <source>Settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <source>Backups</source>
        <translation>备份</translation>
    </message>
    <message>
        <source>Console</source>
        <translation>控台</translation>
    </message>
    <message>
        <source>Broadcast reports</source>
        <translation>直播复盘</translation>
    </message>
    <message>
        <source>Today&apos;s tasks</source>
        <translation>今日任务</translation>
    </message>
    <message>
        <source>Message templates</source>
        <translation>消息模板</translation>
    </message>
    <message>
        <source>Script check</source>
        <translation>话术检查</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <source>Back up the store now</source>
        <translation>立即备份数据</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>视图(&amp;V)</translation>
    </message>
    <message>
        <source>Host panel</source>
        <translation>主播面板</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <source>About LiveDesk</source>
        <translation>关于 LiveDesk</translation>
    </message>
    <message>
        <source>Signed in: %1</source>
        <translation>当前成员：%1</translation>
    </message>
    <message>
        <source>Not signed in: choose who you are in Settings › Team</source>
        <translation>未登录成员：请在 设置 › 团队 中选择你是谁</translation>
    </message>
    <message>
        <source>Backing up…</source>
        <translation>正在备份…</translation>
    </message>
    <message>
        <source>Backed up to %1</source>
        <translation>已备份到 %1</translation>
    </message>
    <message>
        <source>Store: %1</source>
        <translation>数据库：%1</translation>
    </message>
    <message>
        <source>The card was not sent to the other screens: %1</source>
        <translation>卡片未能发送到其他屏幕：%1</translation>
    </message>
    <message>
        <source>The backup is restored. LiveDesk now restarts to open it.</source>
        <translation>备份已恢复。LiveDesk 将重新启动并打开它。</translation>
    </message>
    <message>
        <source>LiveDesk %1 — the customer desk for live-stream selling teams.</source>
        <translation>LiveDesk %1 —— 直播带货团队的客户工作台。</translation>
    </message>
    <message>
        <source>An import is still running. Closing cancels it and nothing of it is written. Close anyway?</source>
        <translation>导入还在进行。现在关闭会取消导入，不会写入任何数据。仍然关闭吗？</translation>
    </message>
</context>
<context>
    <name>ManualTaskDialog</name>
    <message>
        <source>New follow-up for %1</source>
        <translation>为 %1 新建跟进</translation>
    </message>
    <message>
        <source>Nobody yet</source>
        <translation>暂不指派</translation>
    </message>
    <message>
        <source>The kind&apos;s usual message</source>
        <translation>该类型的默认消息</translation>
    </message>
    <message>
        <source>What to talk about, for whoever picks it up</source>
        <translation>要聊什么，写给接手的人</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>类型</translation>
    </message>
    <message>
        <source>Due</source>
        <translation>到期</translation>
    </message>
    <message>
        <source>Assignee</source>
        <translation>负责人</translation>
    </message>
    <message>
        <source>Message</source>
        <translation>消息</translation>
    </message>
    <message>
        <source>Note</source>
        <translation>备注</translation>
    </message>
    <message>
        <source>This customer is no longer in the store: merged into another customer or erased. Look them up again.</source>
        <translation>这位客户已不在库中：已合并到另一位客户或已删除。请重新查找。</translation>
    </message>
</context>
<context>
    <name>MemberDialog</name>
    <message>
        <source>Add a team member</source>
        <translation>添加团队成员</translation>
    </message>
    <message>
        <source>optional, 4 to 8 digits</source>
        <translation>可选，4 到 8 位数字</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>姓名</translation>
    </message>
    <message>
        <source>Role</source>
        <translation>角色</translation>
    </message>
    <message>
        <source>PIN</source>
        <translation>PIN 码</translation>
    </message>
</context>
<context>
    <name>MembersModel</name>
    <message>
        <source>Name</source>
        <translation>姓名</translation>
    </message>
    <message>
        <source>Role</source>
        <translation>角色</translation>
    </message>
    <message>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>active</source>
        <translation>在职</translation>
    </message>
    <message>
        <source>left the team</source>
        <translation>已离开团队</translation>
    </message>
    <message>
        <source> · PIN</source>
        <translation> · 已设 PIN</translation>
    </message>
</context>
<context>
    <name>NewExperimentDialog</name>
    <message>
        <source>New A/B test</source>
        <translation>新建 A/B 测试</translation>
    </message>
    <message>
        <source>Message template</source>
        <translation>话术模板</translation>
    </message>
    <message>
        <source>Coupon</source>
        <translation>优惠券</translation>
    </message>
    <message>
        <source> days</source>
        <translation> 天</translation>
    </message>
    <message>
        <source>Add a variant</source>
        <translation>添加方案</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>Rule</source>
        <translation>规则</translation>
    </message>
    <message>
        <source>Compare</source>
        <translation>比较</translation>
    </message>
    <message>
        <source>Count orders within</source>
        <translation>统计订单天数</translation>
    </message>
    <message>
        <source>Variant %1</source>
        <translation>方案 %1</translation>
    </message>
    <message>
        <source> (control)</source>
        <translation>（对照组）</translation>
    </message>
</context>
<context>
    <name>NewPassphraseDialog</name>
    <message>
        <source>New passphrase</source>
        <translation>新密码</translation>
    </message>
    <message>
        <source>The same again</source>
        <translation>再输入一次</translation>
    </message>
    <message>
        <source>A passphrase needs at least %1 characters.</source>
        <translation>密码至少需要 %1 个字符。</translation>
    </message>
    <message>
        <source>The two passphrases differ.</source>
        <translation>两次输入的密码不一致。</translation>
    </message>
</context>
<context>
    <name>OrdersModel</name>
    <message>
        <source>Date</source>
        <translation>日期</translation>
    </message>
    <message>
        <source>Platform</source>
        <translation>平台</translation>
    </message>
    <message>
        <source>Items</source>
        <translation>商品</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Order no.</source>
        <translation>订单号</translation>
    </message>
    <message>
        <source>Order no. %1</source>
        <translation>订单号 %1</translation>
    </message>
    <message>
        <source>Amount</source>
        <translation>金额</translation>
    </message>
</context>
<context>
    <name>OrdersView</name>
    <message>
        <source>Decrypt the recipient (抖店)…</source>
        <translation>解密收件人（抖店）…</translation>
    </message>
</context>
<context>
    <name>PanelCardView</name>
    <message>
        <source>Waiting for viewers…</source>
        <translation>等待观众进入直播间…</translation>
    </message>
    <message numerus="yes">
        <source>Birthday in %n days</source>
        <translation>
            <numerusform>%n 天后生日</numerusform>
        </translation>
    </message>
    <message>
        <source>Running out: %1</source>
        <translation>快用完了：%1</translation>
    </message>
    <message>
        <source>Became %1 today</source>
        <translation>今天升级为%1</translation>
    </message>
    <message numerus="yes">
        <source>Became %1 %n days ago</source>
        <translation>
            <numerusform>%n 天前升级为%1</numerusform>
        </translation>
    </message>
    <message>
        <source>Bought recently</source>
        <translation>最近购买</translation>
    </message>
    <message>
        <source>Not greeted yet</source>
        <translation>还没打招呼</translation>
    </message>
    <message>
        <source>Profile</source>
        <translation>档案</translation>
    </message>
    <message>
        <source>Pinned notes</source>
        <translation>置顶备注</translation>
    </message>
    <message>
        <source>Birthday today!</source>
        <translation>今天生日！</translation>
    </message>
    <message>
        <source>Open complaint: %1</source>
        <translation>未处理投诉：%1</translation>
    </message>
</context>
<context>
    <name>PassphraseDialog</name>
    <message>
        <source>Remember on this computer (in the system keyring)</source>
        <translation>在这台电脑上记住（保存在系统钥匙串）</translation>
    </message>
    <message>
        <source>This computer has no system keyring to remember it in. Untick &quot;Remember&quot; to go on; you will be asked each time.</source>
        <translation>这台电脑没有可以保存密码的系统钥匙串。取消勾选“记住”即可继续，之后每次都会询问密码。</translation>
    </message>
    <message>
        <source>This store is encrypted. Type its passphrase to open it.</source>
        <translation>这个存储已加密。请输入密码打开它。</translation>
    </message>
    <message>
        <source>Passphrase</source>
        <translation>密码</translation>
    </message>
    <message>
        <source>Type the passphrase.</source>
        <translation>请输入密码。</translation>
    </message>
    <message>
        <source>The passphrase is wrong. Try again.</source>
        <translation>密码不对，请再试一次。</translation>
    </message>
    <message>
        <source>This LiveDesk cannot open encrypted stores.</source>
        <translation>这个 LiveDesk 无法打开加密的存储。</translation>
    </message>
</context>
<context>
    <name>PerkCatalogueBox</name>
    <message>
        <source>Points perks</source>
        <translation>积分兑换权益</translation>
    </message>
    <message>
        <source>Perk</source>
        <translation>权益</translation>
    </message>
    <message>
        <source>Code</source>
        <translation>编码</translation>
    </message>
    <message>
        <source>Points</source>
        <translation>积分</translation>
    </message>
    <message>
        <source>Stock</source>
        <translation>库存</translation>
    </message>
    <message>
        <source>For</source>
        <translation>适用客户</translation>
    </message>
    <message>
        <source>Days</source>
        <translation>日期</translation>
    </message>
    <message>
        <source>On</source>
        <translation>启用</translation>
    </message>
    <message>
        <source>e.g. sample</source>
        <translation>如 sample</translation>
    </message>
    <message>
        <source>e.g. Free samples</source>
        <translation>如 小样</translation>
    </message>
    <message>
        <source> points</source>
        <translation> 积分</translation>
    </message>
    <message>
        <source>Unlimited</source>
        <translation>不限</translation>
    </message>
    <message>
        <source>Only from</source>
        <translation>仅限</translation>
    </message>
    <message>
        <source>Offered</source>
        <translation>开放兑换</translation>
    </message>
    <message>
        <source>Save perk</source>
        <translation>保存权益</translation>
    </message>
    <message>
        <source>New perk</source>
        <translation>新建权益</translation>
    </message>
    <message>
        <source>to</source>
        <translation>至</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>Cost</source>
        <translation>所需积分</translation>
    </message>
    <message>
        <source>Tiers (none ticked: all)</source>
        <translation>客户层级（不勾选：全部）</translation>
    </message>
    <message>
        <source>Levels (none ticked: all)</source>
        <translation>会员等级（不勾选：全部）</translation>
    </message>
    <message>
        <source>Everyone</source>
        <translation>所有客户</translation>
    </message>
    <message>
        <source>Always</source>
        <translation>长期有效</translation>
    </message>
    <message>
        <source>Yes</source>
        <translation>是</translation>
    </message>
    <message>
        <source>No</source>
        <translation>否</translation>
    </message>
    <message>
        <source>Saved: %1</source>
        <translation>已保存：%1</translation>
    </message>
</context>
<context>
    <name>PlanModel</name>
    <message>
        <source>#</source>
        <translation>序号</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>类型</translation>
    </message>
    <message>
        <source>Product</source>
        <translation>商品</translation>
    </message>
    <message>
        <source>Title</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>Minutes</source>
        <translation>分钟</translation>
    </message>
    <message>
        <source>Starts at</source>
        <translation>开始于</translation>
    </message>
</context>
<context>
    <name>PrivacyBox</name>
    <message>
        <source>Privacy</source>
        <translation>隐私</translation>
    </message>
    <message>
        <source>Edit consent…</source>
        <translation>编辑授权同意…</translation>
    </message>
    <message>
        <source>Export this person&apos;s data…</source>
        <translation>导出此人的全部资料…</translation>
    </message>
    <message>
        <source>Everything the store holds about this customer, for their request</source>
        <translation>本店保存的该客户全部资料，用于答复其查询请求</translation>
    </message>
    <message>
        <source>Erase this customer…</source>
        <translation>删除此客户…</translation>
    </message>
    <message>
        <source>No consent recorded</source>
        <translation>未记录授权同意</translation>
    </message>
    <message>
        <source>Consent given %1</source>
        <translation>%1 已授权同意</translation>
    </message>
    <message>
        <source>Export this person&apos;s data</source>
        <translation>导出此人的全部资料</translation>
    </message>
    <message>
        <source>Excel (*.xlsx);;JSON (*.json)</source>
        <translation>Excel (*.xlsx);;JSON (*.json)</translation>
    </message>
    <message>
        <source>Exporting…</source>
        <translation>正在导出…</translation>
    </message>
    <message>
        <source>Everything about this customer was written to %1</source>
        <translation>该客户的全部资料已写入 %1</translation>
    </message>
    <message>
        <source>%1 was erased: %2 orders kept without name, phone or address.</source>
        <translation>%1 已删除：%2 个订单保留，已去除姓名、电话和地址。</translation>
    </message>
    <message>
        <source>Another program has the store open: the freed space is overwritten when it closes.</source>
        <translation>另一个程序正打开着数据库：释放的空间将在它关闭时被覆盖。</translation>
    </message>
    <message>
        <source>Erasing…</source>
        <translation>正在删除…</translation>
    </message>
    <message>
        <source>%1 backups deleted</source>
        <translation>已删除 %1 个备份</translation>
    </message>
    <message>
        <source>Choose how consent was given from the list.</source>
        <translation>请从列表中选择授权渠道。</translation>
    </message>
    <message>
        <source>The consent note is too long (at most %1 characters).</source>
        <translation>授权备注太长（最多 %1 个字）。</translation>
    </message>
    <message>
        <source>Give the date consent was given.</source>
        <translation>请填写授权同意的日期。</translation>
    </message>
    <message>
        <source>The consent date is in the future.</source>
        <translation>授权日期不能晚于今天。</translation>
    </message>
    <message>
        <source>Consent was not saved.</source>
        <translation>授权同意未保存。</translation>
    </message>
    <message>
        <source>Only the shop owner may erase a customer.</source>
        <translation>只有店主可以删除客户。</translation>
    </message>
    <message>
        <source>This customer no longer exists.</source>
        <translation>该客户已不存在。</translation>
    </message>
    <message>
        <source>The file could not be written there. Choose a file name ending in .xlsx or .json in a folder you can write to.</source>
        <translation>无法在该位置写入文件。请选择可写入的文件夹，文件名以 .xlsx 或 .json 结尾。</translation>
    </message>
    <message>
        <source>The file could not be written: %1</source>
        <translation>无法写入文件：%1</translation>
    </message>
    <message>
        <source>That did not work. Nothing was changed.</source>
        <translation>操作未成功，数据没有任何改动。</translation>
    </message>
</context>
<context>
    <name>QuestionsModel</name>
    <message>
        <source>new viewer</source>
        <translation>新观众</translation>
    </message>
</context>
<context>
    <name>QuestionsSection</name>
    <message>
        <source>Questions (double-click when answered)</source>
        <translation>观众提问（回答后双击移除）</translation>
    </message>
    <message>
        <source>Now: %1 %2</source>
        <translation>正在讲：%1 %2</translation>
    </message>
    <message>
        <source>asked: %1</source>
        <translation>问得最多：%1</translation>
    </message>
    <message>
        <source>Known customers who want this: %1 · restock waitlist: %2</source>
        <translation>想买的老客：%1 · 补货等待：%2</translation>
    </message>
</context>
<context>
    <name>RecipientDecrypt</name>
    <message>
        <source>Only the shop&apos;s owner may decrypt recipients: each one counts against the quota.</source>
        <translation>只有店主可以解密收件人：每次解密都会占用额度。</translation>
    </message>
    <message>
        <source>Set up the 抖店 app on the Import page first.</source>
        <translation>请先在导入页面设置抖店应用。</translation>
    </message>
    <message>
        <source>Nothing was decrypted.</source>
        <translation>没有解密任何内容。</translation>
    </message>
    <message>
        <source>Something went wrong; the log has the details.</source>
        <translation>出了点问题，详情见日志。</translation>
    </message>
</context>
<context>
    <name>RecorderClaim</name>
    <message>
        <source>Took over the recording from %1 on %2</source>
        <translation>已从 %2 上的 %1 接手录制</translation>
    </message>
    <message>
        <source>another computer</source>
        <translation>另一台电脑</translation>
    </message>
    <message>
        <source>Another team member</source>
        <translation>另一位团队成员</translation>
    </message>
    <message>
        <source>%1 is recording this broadcast&apos;s feed on %2 (last heard %3 s ago). Two recorders would count every viewer twice.</source>
        <translation>%1 正在 %2 上录制本场直播的弹幕（%3 秒前仍有响应）。两台电脑同时录制会把每位观众算两遍。</translation>
    </message>
    <message>
        <source>Take over only if that computer cannot record any more: it stops recording.</source>
        <translation>只有那台电脑无法继续录制时才接手：接手后它会停止录制。</translation>
    </message>
    <message>
        <source>Someone else records this broadcast</source>
        <translation>本场直播已有人在录制</translation>
    </message>
    <message>
        <source>Take over the recording</source>
        <translation>接手录制</translation>
    </message>
    <message>
        <source>%1 is recording this broadcast&apos;s feed on %2</source>
        <translation>%1 正在 %2 上录制本场直播的弹幕</translation>
    </message>
    <message>
        <source>Connect feed</source>
        <translation>接入弹幕</translation>
    </message>
    <message>
        <source>The broadcast ended: the feed is no longer recorded</source>
        <translation>直播已结束：弹幕不再录制</translation>
    </message>
    <message>
        <source>%1 took over the recording on %2: this computer stopped recording</source>
        <translation>%1 已在 %2 上接手录制：本机已停止录制</translation>
    </message>
    <message>
        <source>Nobody records this broadcast&apos;s feed yet</source>
        <translation>本场直播的弹幕还没有电脑在录制</translation>
    </message>
    <message>
        <source>This computer records the broadcast&apos;s feed; the other screens follow it</source>
        <translation>本机正在录制本场直播的弹幕，其他屏幕同步显示</translation>
    </message>
    <message>
        <source>Recorded by %1 on %2: the queue follows that computer</source>
        <translation>由 %2 上的 %1 录制：“刚进来”队列与那台电脑同步</translation>
    </message>
    <message>
        <source>another team member</source>
        <translation>另一位团队成员</translation>
    </message>
</context>
<context>
    <name>RecoveryWindow</name>
    <message>
        <source>LiveDesk — the store needs attention</source>
        <translation>LiveDesk — 数据库需要处理</translation>
    </message>
    <message>
        <source>LiveDesk checked the store before using it and found that part of it cannot be read (a disk fault or a crash can do this). Nothing has been changed or deleted.
%1</source>
        <translation>LiveDesk 在使用前检查了数据库，发现其中一部分无法读取（磁盘故障或程序崩溃都可能造成）。没有任何数据被修改或删除。
%1</translation>
    </message>
    <message>
        <source>Restore the newest verified backup</source>
        <translation>恢复最新的已校验备份</translation>
    </message>
    <message>
        <source>Looking for backups…</source>
        <translation>正在查找备份…</translation>
    </message>
    <message>
        <source>Restore this backup</source>
        <translation>恢复这个备份</translation>
    </message>
    <message>
        <source>Or save what can still be read</source>
        <translation>或者保存仍可读取的数据</translation>
    </message>
    <message>
        <source>Copies every readable row into a new file beside the store; the damaged store is kept as it is.</source>
        <translation>把所有还能读取的记录复制到数据库旁边的新文件中；损坏的数据库保持原样。</translation>
    </message>
    <message>
        <source>Recover into a new file</source>
        <translation>抢救到新文件</translation>
    </message>
    <message>
        <source>Use the recovered file</source>
        <translation>使用抢救出的文件</translation>
    </message>
    <message>
        <source>Quit</source>
        <translation>退出</translation>
    </message>
    <message>
        <source>There is no verified backup of this store.</source>
        <translation>这个数据库还没有已校验的备份。</translation>
    </message>
    <message>
        <source>%1 — %2
It holds %3.</source>
        <translation>%1 — %2
其中有 %3。</translation>
    </message>
    <message>
        <source>Restoring…</source>
        <translation>正在恢复…</translation>
    </message>
    <message>
        <source>Recovering…</source>
        <translation>正在抢救…</translation>
    </message>
    <message>
        <source>Saved into %1:
%2</source>
        <translation>已保存到 %1：
%2</translation>
    </message>
</context>
<context>
    <name>RedeemDialog</name>
    <message>
        <source>Perk</source>
        <translation>权益</translation>
    </message>
    <message>
        <source>Points</source>
        <translation>积分</translation>
    </message>
    <message>
        <source>Stock</source>
        <translation>库存</translation>
    </message>
    <message>
        <source>Can redeem?</source>
        <translation>能否兑换</translation>
    </message>
    <message>
        <source>Redeem…</source>
        <translation>兑换…</translation>
    </message>
    <message>
        <source>When</source>
        <translation>时间</translation>
    </message>
    <message>
        <source>What</source>
        <translation>内容</translation>
    </message>
    <message>
        <source>By</source>
        <translation>操作人</translation>
    </message>
    <message>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Undo redemption…</source>
        <translation>撤销兑换…</translation>
    </message>
    <message>
        <source>The owner gives the points back with a reversing entry</source>
        <translation>店主以冲正记录退回积分</translation>
    </message>
    <message>
        <source>Issue a code</source>
        <translation>发放券码</translation>
    </message>
    <message>
        <source>Perks</source>
        <translation>权益</translation>
    </message>
    <message>
        <source>Points history</source>
        <translation>积分明细</translation>
    </message>
    <message>
        <source>Coupons</source>
        <translation>优惠券</translation>
    </message>
    <message>
        <source>Points and coupons: %1</source>
        <translation>积分与优惠券：%1</translation>
    </message>
    <message>
        <source>%1 has %2 points</source>
        <translation>%1 有 %2 积分</translation>
    </message>
    <message>
        <source>Unlimited</source>
        <translation>不限</translation>
    </message>
    <message>
        <source>Yes</source>
        <translation>是</translation>
    </message>
    <message>
        <source>Undone</source>
        <translation>已撤销</translation>
    </message>
    <message>
        <source>%1 (%2 codes free)</source>
        <translation>%1（剩余 %2 个券码）</translation>
    </message>
    <message>
        <source>No coupon batch yet: add one in Settings</source>
        <translation>还没有优惠券批次：请在设置中添加</translation>
    </message>
    <message>
        <source>used</source>
        <translation>已使用</translation>
    </message>
    <message>
        <source>Issued to this customer: %1</source>
        <translation>已发给该客户：%1</translation>
    </message>
    <message>
        <source>No coupon issued to this customer yet</source>
        <translation>尚未给该客户发放优惠券</translation>
    </message>
    <message>
        <source>Purchase</source>
        <translation>购物</translation>
    </message>
    <message>
        <source>Refund</source>
        <translation>退款</translation>
    </message>
    <message>
        <source>Comment</source>
        <translation>评论</translation>
    </message>
    <message>
        <source>Share</source>
        <translation>分享</translation>
    </message>
    <message>
        <source>Review</source>
        <translation>评价</translation>
    </message>
    <message>
        <source>Gift</source>
        <translation>礼物</translation>
    </message>
    <message>
        <source>Redeemed</source>
        <translation>兑换</translation>
    </message>
    <message>
        <source>Redemption undone</source>
        <translation>撤销兑换</translation>
    </message>
    <message>
        <source>By hand</source>
        <translation>手动</translation>
    </message>
    <message>
        <source>Redeem %1 for %2 points? The balance becomes %3.</source>
        <translation>用 %2 积分兑换 %1？兑换后剩余 %3 积分。</translation>
    </message>
    <message>
        <source>Redeem</source>
        <translation>兑换</translation>
    </message>
    <message>
        <source>Redeemed %1; %2 points left</source>
        <translation>已兑换 %1；剩余 %2 积分</translation>
    </message>
    <message>
        <source>Give back the %1 points of this redemption? It stays in the history with its reversing entry.</source>
        <translation>退回这次兑换的 %1 积分？兑换记录会保留，并附一条冲正记录。</translation>
    </message>
    <message>
        <source>Undo redemption</source>
        <translation>撤销兑换</translation>
    </message>
    <message>
        <source>Undone; %1 points now</source>
        <translation>已撤销；现有 %1 积分</translation>
    </message>
    <message>
        <source>Code %1 issued: send it to the customer</source>
        <translation>已发放券码 %1：请发送给客户</translation>
    </message>
</context>
<context>
    <name>RunOfShowBar</name>
    <message>
        <source>No run-of-show</source>
        <translation>还没有排品</translation>
    </message>
    <message>
        <source>Run-of-show…</source>
        <translation>排品…</translation>
    </message>
    <message>
        <source>Next item (F8)</source>
        <translation>下一个（F8）</translation>
    </message>
    <message numerus="yes">
        <source>Next broadcast: %n item(s) planned</source>
        <translation>
            <numerusform>下一场直播：已排 %n 项</numerusform>
        </translation>
    </message>
    <message>
        <source>No run-of-show: plan the next broadcast with Run-of-show…</source>
        <translation>还没有排品：用“排品…”为下一场直播排品</translation>
    </message>
    <message numerus="yes">
        <source>%n item(s) planned; F8 marks the first on air</source>
        <translation>
            <numerusform>已排 %n 项；按 F8 开讲第一项</numerusform>
        </translation>
    </message>
    <message>
        <source>Now: %1 %2 (%3 of %4)</source>
        <translation>正在讲：%1 %2（第 %3 项，共 %4 项）</translation>
    </message>
</context>
<context>
    <name>RunOfShowDialog</name>
    <message>
        <source>Run-of-show</source>
        <translation>排品</translation>
    </message>
    <message>
        <source>Run-of-show for the next broadcast</source>
        <translation>下一场直播的排品</translation>
    </message>
    <message>
        <source>(no product)</source>
        <translation>（不关联商品）</translation>
    </message>
    <message>
        <source>Products, lucky draws and flash deals in the order of the stream. During the stream, F8 on the Live page marks the next one on air.</source>
        <translation>按直播顺序排好商品、抽奖和秒杀。直播时在“直播”页按 F8 标记下一项开讲。</translation>
    </message>
    <message>
        <source>The next broadcast you start takes this plan.</source>
        <translation>下一场开播时会采用这份排品。</translation>
    </message>
    <message>
        <source>Add product</source>
        <translation>添加商品</translation>
    </message>
    <message>
        <source>Add lucky draw</source>
        <translation>添加抽奖</translation>
    </message>
    <message>
        <source>Add flash deal</source>
        <translation>添加秒杀</translation>
    </message>
    <message>
        <source>Move up</source>
        <translation>上移</translation>
    </message>
    <message>
        <source>Move down</source>
        <translation>下移</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>删除</translation>
    </message>
    <message>
        <source>Playbook example</source>
        <translation>手册示例</translation>
    </message>
    <message>
        <source>2 hours: 5 main products (your best sellers), 2 lucky draws, 3 flash deals</source>
        <translation>2 小时：5 个主推品（您的畅销品）、2 次抽奖、3 次秒杀</translation>
    </message>
    <message>
        <source>%1 products, %2 lucky draws, %3 flash deals · planned %4</source>
        <translation>%1 个商品、%2 次抽奖、%3 次秒杀 · 计划 %4</translation>
    </message>
</context>
<context>
    <name>ScriptCheckPage</name>
    <message>
        <source>Paste the live script or product copy. Absolute terms (最, 第一, 国家级 …) and medical or efficacy claims are marked with the reason; the word list is in Settings, where the owner can add the shop&apos;s own.</source>
        <translation>粘贴直播话术或商品文案。极限用语（最、第一、国家级……）和医疗、功效宣称会标出并说明原因；词表在“设置”里，店主可以添加店铺自己的词。</translation>
    </message>
    <message>
        <source>Paste the script here</source>
        <translation>在这里粘贴话术</translation>
    </message>
</context>
<context>
    <name>SettingsPage</name>
    <message>
        <source> days</source>
        <translation> 天</translation>
    </message>
    <message>
        <source>Customer tiers (RFM)</source>
        <translation>客户分层（RFM）</translation>
    </message>
    <message>
        <source>High-value VIP: the top share of buyers by 12-month spend</source>
        <translation>高价值VIP：按近12个月消费排名前多少的买家</translation>
    </message>
    <message>
        <source>…who also spent at least</source>
        <translation>……且消费至少</translation>
    </message>
    <message>
        <source>Active if they bought within</source>
        <translation>多少天内购买算活跃</translation>
    </message>
    <message>
        <source>Lost after nothing for</source>
        <translation>多少天没买算流失</translation>
    </message>
    <message>
        <source>Potential active: at least this many orders</source>
        <translation>潜力活跃客：至少几笔订单</translation>
    </message>
    <message>
        <source>Membership levels by rolling 12-month spend</source>
        <translation>会员等级（按近12个月消费）</translation>
    </message>
    <message>
        <source>Discard</source>
        <translation>放弃修改</translation>
    </message>
    <message>
        <source>Save changes</source>
        <translation>保存修改</translation>
    </message>
    <message>
        <source>Shop</source>
        <translation>店铺</translation>
    </message>
    <message>
        <source>Shop name</source>
        <translation>店铺名称</translation>
    </message>
    <message>
        <source>Industry preset (profile fields)</source>
        <translation>行业预设（档案字段）</translation>
    </message>
    <message>
        <source>Language on this laptop (after a restart)</source>
        <translation>本机界面语言（重启后生效）</translation>
    </message>
    <message>
        <source>Unsaved changes</source>
        <translation>有未保存的修改</translation>
    </message>
    <message>
        <source>All changes saved</source>
        <translation>所有修改已保存</translation>
    </message>
    <message>
        <source>Counting…</source>
        <translation>正在统计…</translation>
    </message>
    <message>
        <source>With these rules (now → then):</source>
        <translation>按这些规则（现在 → 之后）：</translation>
    </message>
    <message>
        <source>Saved</source>
        <translation>已保存</translation>
    </message>
    <message>
        <source>Saved: %1 customers recomputed, %2 changed</source>
        <translation>已保存：重新计算了 %1 位客户，%2 位有变化</translation>
    </message>
    <message>
        <source>Recomputing…</source>
        <translation>正在重新计算…</translation>
    </message>
    <message>
        <source>Saving…</source>
        <translation>正在保存…</translation>
    </message>
    <message>
        <source>Not saved: %1</source>
        <translation>未保存：%1</translation>
    </message>
</context>
<context>
    <name>SignInDialog</name>
    <message>
        <source>Who is at this computer?</source>
        <translation>谁在使用这台电脑？</translation>
    </message>
    <message>
        <source>This shop has a team: sign in as yourself. Notes, tasks and changes are recorded under your name, and your role decides what you may do.</source>
        <translation>本店已设置团队：请以自己的身份登录。备注、任务和修改都会记在你的名下，能做什么由你的角色决定。</translation>
    </message>
    <message>
        <source>4 to 8 digits</source>
        <translation>4 到 8 位数字</translation>
    </message>
    <message>
        <source>I am</source>
        <translation>我是</translation>
    </message>
    <message>
        <source>PIN</source>
        <translation>PIN 码</translation>
    </message>
    <message>
        <source>Sign in</source>
        <translation>登录</translation>
    </message>
    <message>
        <source>Quit</source>
        <translation>退出</translation>
    </message>
</context>
<context>
    <name>StartBroadcastDialog</name>
    <message>
        <source>Start a broadcast</source>
        <translation>开始直播</translation>
    </message>
    <message>
        <source>Title</source>
        <translation>标题</translation>
    </message>
    <message>
        <source>Platform</source>
        <translation>平台</translation>
    </message>
    <message>
        <source>Room id</source>
        <translation>直播间号</translation>
    </message>
</context>
<context>
    <name>StoreOpening</name>
    <message>
        <source>The team server does not answer (%1). Check that it is running and that this computer is on the shop&apos;s network.</source>
        <translation>团队服务器无响应（%1）。请检查服务器是否在运行、本机是否连在店里的网络上。</translation>
    </message>
    <message>
        <source>The team server refused the user name or password (%1).</source>
        <translation>团队服务器拒绝了用户名或密码（%1）。</translation>
    </message>
    <message>
        <source>The team server has no such database (%1).</source>
        <translation>团队服务器上没有这个数据库（%1）。</translation>
    </message>
    <message>
        <source>The team server&apos;s store cannot be opened (%1).</source>
        <translation>无法打开团队服务器上的数据（%1）。</translation>
    </message>
    <message>
        <source>Forget the team server&apos;s address and open this computer&apos;s own file instead? (设置 › 数据库 can set it again.)</source>
        <translation>是否忘记团队服务器地址，改为打开本机文件？（之后可在 设置 › 数据库 重新设置。）</translation>
    </message>
</context>
<context>
    <name>TaskModel</name>
    <message>
        <source>Due</source>
        <translation>到期</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>类型</translation>
    </message>
    <message>
        <source>Customer</source>
        <translation>客户</translation>
    </message>
    <message>
        <source>Tier</source>
        <translation>分层</translation>
    </message>
    <message>
        <source>Assignee</source>
        <translation>负责人</translation>
    </message>
    <message>
        <source>The promised answer time has passed</source>
        <translation>已超过承诺的回复时限</translation>
    </message>
    <message>
        <source>nobody</source>
        <translation>未分配</translation>
    </message>
</context>
<context>
    <name>TeamBox</name>
    <message>
        <source>Owner</source>
        <translation>店主</translation>
    </message>
    <message>
        <source>Host</source>
        <translation>主播</translation>
    </message>
    <message>
        <source>Assistant</source>
        <translation>助理</translation>
    </message>
    <message>
        <source>Team</source>
        <translation>团队</translation>
    </message>
    <message>
        <source>Add…</source>
        <translation>添加…</translation>
    </message>
    <message>
        <source>Rename…</source>
        <translation>改名…</translation>
    </message>
    <message>
        <source>Change role…</source>
        <translation>更改角色…</translation>
    </message>
    <message>
        <source>Left the team</source>
        <translation>已离开团队</translation>
    </message>
    <message>
        <source>Set PIN…</source>
        <translation>设置 PIN…</translation>
    </message>
    <message>
        <source>Sign in as…</source>
        <translation>以此成员登录…</translation>
    </message>
    <message>
        <source>This laptop acts as %1 (%2)</source>
        <translation>这台电脑当前以 %1（%2）身份操作</translation>
    </message>
    <message>
        <source>Nobody has signed in: add the team, then sign in as a member.</source>
        <translation>尚未登录成员：先添加团队成员，再选择以谁的身份登录。</translation>
    </message>
    <message>
        <source>Only an owner can change the team.</source>
        <translation>只有店主可以修改团队。</translation>
    </message>
    <message>
        <source>Someone on the team already has that name.</source>
        <translation>团队里已有同名成员。</translation>
    </message>
    <message>
        <source>A name is needed (at most 50 characters).</source>
        <translation>需要填写姓名（最多 50 个字）。</translation>
    </message>
    <message>
        <source>A PIN is 4 to 8 digits.</source>
        <translation>PIN 码是 4 到 8 位数字。</translation>
    </message>
    <message>
        <source>The shop needs at least one owner.</source>
        <translation>店铺至少需要一位店主。</translation>
    </message>
    <message>
        <source>The team&apos;s first member is its owner: add the owner first.</source>
        <translation>团队的第一位成员是店主：请先添加店主。</translation>
    </message>
    <message>
        <source>Wrong PIN.</source>
        <translation>PIN 码不对。</translation>
    </message>
    <message>
        <source>This member has left the team or no longer exists.</source>
        <translation>该成员已离开团队或不存在。</translation>
    </message>
    <message>
        <source>That change could not be made.</source>
        <translation>无法完成这项修改。</translation>
    </message>
    <message>
        <source>Not saved: %1</source>
        <translation>未保存：%1</translation>
    </message>
    <message>
        <source>Added %1</source>
        <translation>已添加 %1</translation>
    </message>
    <message>
        <source>New name for %1</source>
        <translation>%1 的新名字</translation>
    </message>
    <message>
        <source>Renamed</source>
        <translation>已改名</translation>
    </message>
    <message>
        <source>Role of %1</source>
        <translation>%1 的角色</translation>
    </message>
    <message>
        <source>Role changed</source>
        <translation>角色已更改</translation>
    </message>
    <message>
        <source>%1 can no longer sign in; their notes keep their name</source>
        <translation>%1 已不能再登录；其备注仍保留署名</translation>
    </message>
    <message>
        <source>PIN for %1 (4 to 8 digits; empty: no PIN)</source>
        <translation>%1 的 PIN 码（4 到 8 位数字；留空则不设）</translation>
    </message>
    <message>
        <source>PIN saved</source>
        <translation>PIN 码已保存</translation>
    </message>
</context>
<context>
    <name>TemplatesPage</name>
    <message>
        <source>New template…</source>
        <translation>新建模板…</translation>
    </message>
    <message>
        <source>Write the message; click a placeholder to insert it</source>
        <translation>编写消息；点击占位符插入</translation>
    </message>
    <message>
        <source>Nickname, handle or phone; empty: the latest buyer</source>
        <translation>昵称、账号或手机号；留空：最近下单的客户</translation>
    </message>
    <message>
        <source>I have checked these words: use it anyway</source>
        <translation>我已核对这些词：仍然使用</translation>
    </message>
    <message>
        <source>Save</source>
        <translation>保存</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>Placeholders</source>
        <translation>占位符</translation>
    </message>
    <message>
        <source>Preview for</source>
        <translation>预览客户</translation>
    </message>
    <message>
        <source>Greetings on air</source>
        <translation>直播进场欢迎</translation>
    </message>
    <message>
        <source>Follow-up messages</source>
        <translation>跟进消息</translation>
    </message>
    <message>
        <source>Invitations</source>
        <translation>邀请函</translation>
    </message>
    <message>
        <source>New template</source>
        <translation>新建模板</translation>
    </message>
    <message>
        <source>Name of the template</source>
        <translation>模板名称</translation>
    </message>
    <message>
        <source>nobody found</source>
        <translation>没有找到</translation>
    </message>
    <message>
        <source>Unknown placeholder %1: it cannot be filled in, check the spelling or click one of the placeholders above</source>
        <translation>不认识的占位符 %1：无法填入，请检查拼写或点击上方的占位符</translation>
    </message>
    <message>
        <source>This customer has no value for %1; the message will have a gap</source>
        <translation>这位客户没有 %1，消息里会空着</translation>
    </message>
    <message>
        <source>Not used for messages until someone accepts the marked words</source>
        <translation>标出的词被确认前，此模板不会用于发送</translation>
    </message>
    <message>
        <source> (after saving)</source>
        <translation>（保存后）</translation>
    </message>
    <message>
        <source>Marked words accepted by %1 on %2</source>
        <translation>标出的词已由 %1 于 %2 确认</translation>
    </message>
    <message>
        <source>In use</source>
        <translation>使用中</translation>
    </message>
    <message>
        <source>Saved</source>
        <translation>已保存</translation>
    </message>
    <message>
        <source>Accepted: the template is used again</source>
        <translation>已确认：模板恢复使用</translation>
    </message>
</context>
<context>
    <name>UnknownBuyersDialog</name>
    <message>
        <source>Orders without a known buyer</source>
        <translation>未识别买家</translation>
    </message>
    <message>
        <source>Reading the orders…</source>
        <translation>正在读取订单…</translation>
    </message>
    <message>
        <source>Platform</source>
        <translation>平台</translation>
    </message>
    <message>
        <source>Order number</source>
        <translation>订单号</translation>
    </message>
    <message>
        <source>Placed</source>
        <translation>下单时间</translation>
    </message>
    <message>
        <source>Amount</source>
        <translation>金额</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Products</source>
        <translation>商品</translation>
    </message>
    <message>
        <source>Decrypt the recipient (抖店)</source>
        <translation>解密收件人（抖店）</translation>
    </message>
    <message>
        <source>Asks 抖店 for the order&apos;s recipient, which counts against the shop&apos;s decryption quota; the name and phone find or make the customer. Only the shop&apos;s owner may.</source>
        <translation>向抖店请求该订单的收件人，会占用店铺的解密额度；解密出的姓名和手机号用于找到或新建客户。仅店主可用。</translation>
    </message>
    <message>
        <source>Whose is it? Nickname, pinyin, platform id or phone tail</source>
        <translation>是谁的订单？输入昵称、拼音、平台ID或手机尾号</translation>
    </message>
    <message>
        <source>Find</source>
        <translation>查找</translation>
    </message>
    <message>
        <source>Customer</source>
        <translation>客户</translation>
    </message>
    <message>
        <source>City</source>
        <translation>城市</translation>
    </message>
    <message>
        <source>Tier</source>
        <translation>分层</translation>
    </message>
    <message>
        <source>Spent</source>
        <translation>消费</translation>
    </message>
    <message>
        <source>Attach the order to this customer</source>
        <translation>把订单归到这位客户</translation>
    </message>
    <message>
        <source>%1 orders came without a buyer anyone can recognise (the platform encrypted or masked it). They already count in the sales figures. When you know whose an order is, find the customer on the right and attach it.</source>
        <translation>%1 个订单没有可识别的买家（平台已加密或打码）。这些订单已计入销售数据。知道是谁的订单后，在右侧找到客户并归入。</translation>
    </message>
    <message>
        <source>Every order has its customer.</source>
        <translation>所有订单都已归到客户。</translation>
    </message>
    <message>
        <source>Nobody found: try another name, the pinyin initials or a phone tail.</source>
        <translation>没有找到：换个名字、拼音首字母或手机尾号试试。</translation>
    </message>
    <message>
        <source>Attached %1 orders to %2.</source>
        <translation>已把 %1 个订单归到 %2。</translation>
    </message>
    <message>
        <source>Their next orders with this buyer id will find them by themselves.</source>
        <translation>以后带这个买家ID的订单会自动归到这位客户。</translation>
    </message>
    <message>
        <source>Asking 抖店 for the recipient…</source>
        <translation>正在向抖店请求收件人…</translation>
    </message>
    <message>
        <source>That order is gone: someone reverted its import.</source>
        <translation>这个订单已不存在：它所在的导入已被撤销。</translation>
    </message>
    <message>
        <source>Someone attached that order already.</source>
        <translation>这个订单已经被别人归到客户了。</translation>
    </message>
    <message>
        <source>That customer is gone: merged or erased.</source>
        <translation>这位客户已不存在：已被合并或删除。</translation>
    </message>
    <message>
        <source>The platform says this buyer is another customer (#%1): attach the order to them, or merge the two customers first.</source>
        <translation>平台显示这个买家是另一位客户（#%1）：请把订单归到那位客户，或先合并这两位客户。</translation>
    </message>
    <message>
        <source>The order could not be attached.</source>
        <translation>订单未能归入客户。</translation>
    </message>
    <message>
        <source>Something went wrong; the log has the details.</source>
        <translation>出错了，详情见日志。</translation>
    </message>
</context>
<context>
    <name>VipPage</name>
    <message>
        <source>e.g. December VIP evening</source>
        <translation>例如：12月VIP私享会</translation>
    </message>
    <message>
        <source>e.g. winter skincare, new arrivals first look</source>
        <translation>例如：冬季护肤、新品抢先看</translation>
    </message>
    <message>
        <source>e.g. Douyin private room, WeChat group live</source>
        <translation>例如：抖音私密直播间、微信群直播</translation>
    </message>
    <message>
        <source>No host yet</source>
        <translation>暂未指定主播</translation>
    </message>
    <message>
        <source>Create session</source>
        <translation>创建私享会</translation>
    </message>
    <message>
        <source>New private session</source>
        <translation>新建私享会</translation>
    </message>
    <message>
        <source>Title</source>
        <translation>标题</translation>
    </message>
    <message>
        <source>Starts</source>
        <translation>开始时间</translation>
    </message>
    <message>
        <source>Seats</source>
        <translation>名额</translation>
    </message>
    <message>
        <source>Theme</source>
        <translation>主题</translation>
    </message>
    <message>
        <source>Where</source>
        <translation>地点/渠道</translation>
    </message>
    <message>
        <source>Host</source>
        <translation>主播</translation>
    </message>
    <message>
        <source>Sessions</source>
        <translation>私享会</translation>
    </message>
    <message>
        <source>Any tier</source>
        <translation>不限分层</translation>
    </message>
    <message>
        <source>Any level</source>
        <translation>不限等级</translation>
    </message>
    <message>
        <source> days (0 = any)</source>
        <translation> 天（0 为不限）</translation>
    </message>
    <message>
        <source> sessions</source>
        <translation> 场</translation>
    </message>
    <message>
        <source>Any month</source>
        <translation>不限月份</translation>
    </message>
    <message>
        <source>Birthday in month %1</source>
        <translation>%1 月生日</translation>
    </message>
    <message>
        <source>Any tag</source>
        <translation>不限标签</translation>
    </message>
    <message>
        <source>Invite them</source>
        <translation>邀请这些客户</translation>
    </message>
    <message>
        <source>Choose invitees by rule</source>
        <translation>按规则挑选邀请对象</translation>
    </message>
    <message>
        <source>Tier</source>
        <translation>分层</translation>
    </message>
    <message>
        <source>Level</source>
        <translation>会员等级</translation>
    </message>
    <message>
        <source>Spent in the last 12 months at least</source>
        <translation>近12个月消费至少</translation>
    </message>
    <message>
        <source>Bought within</source>
        <translation>最近购买在</translation>
    </message>
    <message>
        <source>Not invited in the last</source>
        <translation>最近几场未被邀请</translation>
    </message>
    <message>
        <source>Birthday</source>
        <translation>生日</translation>
    </message>
    <message>
        <source>Tag</source>
        <translation>标签</translation>
    </message>
    <message>
        <source>Add by hand: nickname, handle or phone tail, Enter</source>
        <translation>手动添加：昵称、抖音号或手机尾号，回车</translation>
    </message>
    <message>
        <source>Remove from list</source>
        <translation>从名单移除</translation>
    </message>
    <message>
        <source>Take attendance</source>
        <translation>按直播签到</translation>
    </message>
    <message>
        <source>Mark everyone on the list who was seen in this broadcast as attended</source>
        <translation>名单上在这场直播中出现过的客户都记为已到场</translation>
    </message>
    <message>
        <source>The session ran as broadcast</source>
        <translation>私享会对应的直播</translation>
    </message>
    <message numerus="yes">
        <source>%n customers match</source>
        <translation>
            <numerusform>符合条件：%n 位客户</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n attendees found in the broadcast</source>
        <translation>
            <numerusform>在直播中找到 %n 位到场客户</numerusform>
        </translation>
    </message>
    <message>
        <source>Copy invitation, next (Ctrl+C)</source>
        <translation>复制邀请语，跳到下一位（Ctrl+C）</translation>
    </message>
    <message>
        <source>Export list…</source>
        <translation>导出名单…</translation>
    </message>
    <message>
        <source>New follow-up…</source>
        <translation>新建跟进…</translation>
    </message>
    <message>
        <source>Create a session to start inviting.</source>
        <translation>先创建一场私享会，再开始邀请。</translation>
    </message>
    <message>
        <source>No broadcast near the session&apos;s time</source>
        <translation>私享会前后没有直播</translation>
    </message>
    <message>
        <source>Attended %1 of %2 invited. Attendees: %3 orders, %4, %5 bought. Invited who did not come: %6 orders, %7, %8 bought (orders up to 7 days after).</source>
        <translation>受邀 %2 位，到场 %1 位。到场客户：%3 笔订单，%4，%5 下单。受邀未到：%6 笔订单，%7，%8 下单（统计到会后 7 天）。</translation>
    </message>
    <message>
        <source>%1 invited, %2 on the waitlist</source>
        <translation>已邀请 %1 位，候补 %2 位</translation>
    </message>
    <message>
        <source>No customer matches “%1”</source>
        <translation>没有客户匹配“%1”</translation>
    </message>
    <message>
        <source>More match: type more of the name, the handle or the phone tail</source>
        <translation>还有更多匹配：请多输入几个字、抖音号或手机尾号</translation>
    </message>
    <message>
        <source>Several customers match: pick one</source>
        <translation>有多位客户匹配：请选择一位</translation>
    </message>
    <message>
        <source>Added %1</source>
        <translation>已添加 %1</translation>
    </message>
    <message>
        <source>Pick the broadcast the session ran as</source>
        <translation>请选择私享会对应的那场直播</translation>
    </message>
    <message>
        <source>Copied for %1</source>
        <translation>已复制给 %1 的邀请语</translation>
    </message>
    <message>
        <source>Export invitation list</source>
        <translation>导出邀请名单</translation>
    </message>
    <message>
        <source>Excel workbook (*.xlsx)</source>
        <translation>Excel 工作簿 (*.xlsx)</translation>
    </message>
    <message>
        <source>Exported %1</source>
        <translation>已导出 %1</translation>
    </message>
</context>
</TS>
