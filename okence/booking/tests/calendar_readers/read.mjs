// Reads an iCalendar file on standard input the way Thunderbird does (ical.js is its parser) and
// prints each event's UID, start and end in UTC as JSON lines. Only the VTIMEZONEs in the file are
// known to ical.js here, so the times depend on how the file describes its zone.
import ICAL from "ical.js";

let input = "";
process.stdin.setEncoding("utf8");
for await (const chunk of process.stdin) input += chunk;

const calendar = new ICAL.Component(ICAL.parse(input));
for (const zone of calendar.getAllSubcomponents("vtimezone")) {
  ICAL.TimezoneService.register(new ICAL.Timezone(zone));
}
for (const vevent of calendar.getAllSubcomponents("vevent")) {
  const event = new ICAL.Event(vevent);
  console.log(
    JSON.stringify({
      uid: event.uid,
      start: event.startDate.toJSDate().toISOString(),
      end: event.endDate.toJSDate().toISOString(),
    }),
  );
}
