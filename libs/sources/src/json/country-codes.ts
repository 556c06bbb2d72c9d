/**
 * English country names → ISO 3166-1 alpha-2, for IdPs that log a country by name (Okta's
 * `geographicalContext.country`). Names are CLDR's English names (what `Intl.DisplayNames` says)
 * plus the spellings GeoIP databases and ISO 3166 use where they differ (`Turkey`, `Czech Republic`,
 * `Republic of Lithuania`, `Korea, Republic of` …). A static table, not `Intl`: the answer must
 * not change with the runtime's ICU version. XK (Kosovo) is user-assigned but what GeoIP reports.
 */
const TABLE =
  'AD:Andorra|AE:United Arab Emirates|AF:Afghanistan|AG:Antigua & Barbuda|AI:Anguilla|AL:Albania|AM:Armenia|' +
  'AO:Angola|AQ:Antarctica|AR:Argentina|AS:American Samoa|AT:Austria|AU:Australia|AW:Aruba|AX:Åland Islands|' +
  'AZ:Azerbaijan|BA:Bosnia & Herzegovina/Bosnia and Herzegovina|BB:Barbados|BD:Bangladesh|BE:Belgium|' +
  'BF:Burkina Faso|BG:Bulgaria|BH:Bahrain|BI:Burundi|BJ:Benin|BL:St. Barthélemy|BM:Bermuda|' +
  'BN:Brunei/Brunei Darussalam|BO:Bolivia/Plurinational State of Bolivia|' +
  'BQ:Caribbean Netherlands/Bonaire, Sint Eustatius, and Saba|BR:Brazil|BS:Bahamas|BT:Bhutan|BV:Bouvet Island|' +
  'BW:Botswana|BY:Belarus|BZ:Belize|CA:Canada|CC:Cocos (Keeling) Islands|' +
  'CD:Congo - Kinshasa/DR Congo/Democratic Republic of the Congo|CF:Central African Republic|' +
  'CG:Congo - Brazzaville/Congo Republic/Republic of the Congo|CH:Switzerland|' +
  'CI:Côte d’Ivoire/Ivory Coast|CK:Cook Islands|CL:Chile|CM:Cameroon|CN:China|CO:Colombia|CR:Costa Rica|' +
  'CU:Cuba|CV:Cape Verde/Cabo Verde|CW:Curaçao|CX:Christmas Island|CY:Cyprus|CZ:Czechia/Czech Republic|' +
  'DE:Germany|DJ:Djibouti|DK:Denmark|DM:Dominica|DO:Dominican Republic|DZ:Algeria|EC:Ecuador|EE:Estonia|' +
  'EG:Egypt|EH:Western Sahara|ER:Eritrea|ES:Spain|ET:Ethiopia|FI:Finland|FJ:Fiji|' +
  'FK:Falkland Islands/Falkland Islands (Malvinas)|FM:Micronesia/Federated States of Micronesia|' +
  'FO:Faroe Islands|FR:France|GA:Gabon|GB:United Kingdom/Great Britain|GD:Grenada|GE:Georgia|GF:French Guiana|' +
  'GG:Guernsey|GH:Ghana|GI:Gibraltar|GL:Greenland|GM:Gambia|GN:Guinea|GP:Guadeloupe|GQ:Equatorial Guinea|' +
  'GR:Greece|GS:South Georgia & South Sandwich Islands|GT:Guatemala|GU:Guam|GW:Guinea-Bissau|GY:Guyana|' +
  'HK:Hong Kong SAR China/Hong Kong|HM:Heard & McDonald Islands|HN:Honduras|HR:Croatia|HT:Haiti|HU:Hungary|' +
  'ID:Indonesia|IE:Ireland|IL:Israel|IM:Isle of Man|IN:India|IO:British Indian Ocean Territory|IQ:Iraq|' +
  'IR:Iran/Islamic Republic of Iran|IS:Iceland|IT:Italy|JE:Jersey|JM:Jamaica|' +
  'JO:Jordan/Hashemite Kingdom of Jordan|JP:Japan|KE:Kenya|KG:Kyrgyzstan|KH:Cambodia|KI:Kiribati|KM:Comoros|' +
  'KN:St. Kitts & Nevis|KP:North Korea/Democratic People\'s Republic of Korea|' +
  'KR:South Korea/Republic of Korea|KW:Kuwait|KY:Cayman Islands|KZ:Kazakhstan|' +
  'LA:Laos/Lao People\'s Democratic Republic|LB:Lebanon|LC:St. Lucia|LI:Liechtenstein|LK:Sri Lanka|LR:Liberia|' +
  'LS:Lesotho|LT:Lithuania/Republic of Lithuania|LU:Luxembourg|LV:Latvia|LY:Libya|MA:Morocco|MC:Monaco|' +
  'MD:Moldova/Republic of Moldova|ME:Montenegro|MF:St. Martin|MG:Madagascar|MH:Marshall Islands|' +
  'MK:North Macedonia/Macedonia|ML:Mali|MM:Myanmar (Burma)/Myanmar|MN:Mongolia|MO:Macao SAR China/Macao/Macau|' +
  'MP:Northern Mariana Islands|MQ:Martinique|MR:Mauritania|MS:Montserrat|MT:Malta|MU:Mauritius|MV:Maldives|' +
  'MW:Malawi|MX:Mexico|MY:Malaysia|MZ:Mozambique|NA:Namibia|NC:New Caledonia|NE:Niger|NF:Norfolk Island|' +
  'NG:Nigeria|NI:Nicaragua|NL:Netherlands|NO:Norway|NP:Nepal|NR:Nauru|NU:Niue|NZ:New Zealand|OM:Oman|PA:Panama|' +
  'PE:Peru|PF:French Polynesia|PG:Papua New Guinea|PH:Philippines|PK:Pakistan|PL:Poland|' +
  'PM:St. Pierre & Miquelon|PN:Pitcairn Islands|PR:Puerto Rico|PS:Palestinian Territories/Palestine|' +
  'PT:Portugal|PW:Palau|PY:Paraguay|QA:Qatar|RE:Réunion|RO:Romania|RS:Serbia|RU:Russia/Russian Federation|' +
  'RW:Rwanda|SA:Saudi Arabia|SB:Solomon Islands|SC:Seychelles|SD:Sudan|SE:Sweden|SG:Singapore|SH:St. Helena|' +
  'SI:Slovenia|SJ:Svalbard & Jan Mayen|SK:Slovakia|SL:Sierra Leone|SM:San Marino|SN:Senegal|SO:Somalia|' +
  'SR:Suriname|SS:South Sudan|ST:São Tomé & Príncipe|SV:El Salvador|SX:Sint Maarten|' +
  'SY:Syria/Syrian Arab Republic|SZ:Eswatini/Swaziland|TC:Turks & Caicos Islands|TD:Chad|' +
  'TF:French Southern Territories|TG:Togo|TH:Thailand|TJ:Tajikistan|TK:Tokelau|TL:Timor-Leste/East Timor|' +
  'TM:Turkmenistan|TN:Tunisia|TO:Tonga|TR:Türkiye/Turkey|TT:Trinidad & Tobago|TV:Tuvalu|' +
  'TW:Taiwan/Taiwan, Province of China|TZ:Tanzania/United Republic of Tanzania|UA:Ukraine|UG:Uganda|' +
  'UM:U.S. Outlying Islands|US:United States/United States of America/USA|UY:Uruguay|UZ:Uzbekistan|' +
  'VA:Vatican City/Holy See/Vatican|VC:St. Vincent & Grenadines|VE:Venezuela/Bolivarian Republic of Venezuela|' +
  'VG:British Virgin Islands|VI:U.S. Virgin Islands/US Virgin Islands|VN:Vietnam/Viet Nam|VU:Vanuatu|' +
  'WF:Wallis & Futuna|WS:Samoa|XK:Kosovo|YE:Yemen|YT:Mayotte|ZA:South Africa|ZM:Zambia|ZW:Zimbabwe';

/** Compares names as words: case, accents, punctuation, `&`/`and`, `St.`/`Saint` and `X, Y of` / `Y of X` do not matter. */
function nameKey(name: string): string {
  let key = name.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().trim();
  const inverted = /^([^,]+),\s*(.+\bof)$/.exec(key); // `korea, republic of` → `republic of korea`
  if (inverted) key = `${inverted[2]} ${inverted[1]}`;
  return key
    .replace(/&/g, ' and ')
    .replace(/\bst\b\.?/g, 'saint')
    .replace(/[^a-z0-9]+/g, ' ')
    .replace(/^the /, '')
    .trim();
}

let byName: Map<string, string> | undefined;

/** The alpha-2 code of a country named in English; a code already (`DE`, `de`) is returned upper-cased; unknown: undefined. */
export function countryCode(nameOrCode: string): string | undefined {
  const trimmed = nameOrCode.trim();
  byName ??= new Map(TABLE.split('|').flatMap((row) => {
    const [code = '', names = ''] = row.split(':');
    return [[code.toLowerCase(), code] as const, ...names.split('/').map((name) => [nameKey(name), code] as const)];
  }));
  return byName.get(trimmed.length === 2 ? trimmed.toLowerCase() : nameKey(trimmed));
}
