<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en" sourcelanguage="en">
<context>
    <name>BackupsDialog</name>
    <message numerus="yes">
        <source>%n backups made before the erasure still hold %1. Delete them now, or keep them until they expire.</source>
        <translation>
            <numerusform>%n backup made before the erasure still holds %1. Delete it now, or keep it until it expires.</numerusform>
            <numerusform>%n backups made before the erasure still hold %1. Delete them now, or keep them until they expire.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>CheckedEditor</name>
    <message numerus="yes">
        <source>%n risky words under the Advertising Law: reword them, or keep them only if you are sure they are allowed</source>
        <translation>
            <numerusform>%n risky word under the Advertising Law: reword it, or keep it only if you are sure it is allowed</numerusform>
            <numerusform>%n risky words under the Advertising Law: reword them, or keep them only if you are sure they are allowed</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>CustomersPage</name>
    <message numerus="yes">
        <source>%n customers</source>
        <translation>
            <numerusform>%n customer</numerusform>
            <numerusform>%n customers</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>DashboardPage</name>
    <message numerus="yes">
        <source>Last %n months</source>
        <translation>
            <numerusform>Last month</numerusform>
            <numerusform>Last %n months</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n paid orders</source>
        <translation>
            <numerusform>%n paid order</numerusform>
            <numerusform>%n paid orders</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>EncryptionBox</name>
    <message numerus="yes">
        <source>%n older backup(s) are still unencrypted.</source>
        <translation>
            <numerusform>%n older backup is still unencrypted.</numerusform>
            <numerusform>%n older backups are still unencrypted.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Delete the %n backup(s) made before the store was encrypted? The encrypted backups stay.</source>
        <translation>
            <numerusform>Delete the %n backup made before the store was encrypted? The encrypted backups stay.</numerusform>
            <numerusform>Delete the %n backups made before the store was encrypted? The encrypted backups stay.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Deleted %n unencrypted backup(s).</source>
        <translation>
            <numerusform>Deleted %n unencrypted backup.</numerusform>
            <numerusform>Deleted %n unencrypted backups.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>FollowupsPage</name>
    <message numerus="yes">
        <source>%n tasks</source>
        <translation>
            <numerusform>%n task</numerusform>
            <numerusform>%n tasks</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>ImportPage</name>
    <message numerus="yes">
        <source>%n rows cannot be read, so nothing was written. Fix them in the file (or the mapping) and import again.</source>
        <translation>
            <numerusform>%n row cannot be read, so nothing was written. Fix it in the file (or the mapping) and import again.</numerusform>
            <numerusform>%n rows cannot be read, so nothing was written. Fix them in the file (or the mapping) and import again.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>KnownArrivals</name>
    <message numerus="yes">
        <source>%n min ago</source>
        <translation>
            <numerusform>%n min ago</numerusform>
            <numerusform>%n min ago</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>LivePage</name>
    <message numerus="yes">
        <source>Search index ready: %n customers</source>
        <translation>
            <numerusform>Search index ready: %n customer</numerusform>
            <numerusform>Search index ready: %n customers</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>PanelCardView</name>
    <message numerus="yes">
        <source>Birthday in %n days</source>
        <translation>
            <numerusform>Birthday in %n day</numerusform>
            <numerusform>Birthday in %n days</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Became %1 %n days ago</source>
        <translation>
            <numerusform>Became %1 %n day ago</numerusform>
            <numerusform>Became %1 %n days ago</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>RunOfShowBar</name>
    <message numerus="yes">
        <source>Next broadcast: %n item(s) planned</source>
        <translation>
            <numerusform>Next broadcast: %n item planned</numerusform>
            <numerusform>Next broadcast: %n items planned</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n item(s) planned; F8 marks the first on air</source>
        <translation>
            <numerusform>%n item planned; F8 marks it on air</numerusform>
            <numerusform>%n items planned; F8 marks the first on air</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>VipPage</name>
    <message numerus="yes">
        <source>%n customers match</source>
        <translation>
            <numerusform>%n customer matches</numerusform>
            <numerusform>%n customers match</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n attendees found in the broadcast</source>
        <translation>
            <numerusform>%n attendee found in the broadcast</numerusform>
            <numerusform>%n attendees found in the broadcast</numerusform>
        </translation>
    </message>
</context>
</TS>
