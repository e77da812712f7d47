/** LINKTYPE_ numbers (tcpdump.org/linktypes.html) to the names users know from tcpdump. */
const NAMES: ReadonlyMap<number, string> = new Map([
  [0, 'NULL'],
  [1, 'EN10MB'],
  [6, 'IEEE802_5'],
  [9, 'PPP'],
  [101, 'RAW'],
  [104, 'C_HDLC'],
  [105, 'IEEE802_11'],
  [108, 'LOOP'],
  [113, 'LINUX_SLL'],
  [119, 'PRISM_HEADER'],
  [127, 'IEEE802_11_RADIOTAP'],
  [192, 'PPI'],
  [220, 'USB_LINUX_MMAPPED'],
  [228, 'IPV4'],
  [229, 'IPV6'],
  [249, 'NETLINK'],
  [253, 'NFLOG'],
  [276, 'LINUX_SLL2'],
]);

/** "EN10MB" for 1; "LINKTYPE_<n>" for numbers not listed. */
export function linkTypeName(n: number): string {
  return NAMES.get(n) ?? `LINKTYPE_${n}`;
}
