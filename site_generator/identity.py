"""The footer's identity marks required of a government website, from plain settings.

《政府网站发展指引》 and the inspection checklist ask every page's footer for: the 党政机关网站标识
linked to its verification page (conac.cn), the 主办 and 承办 units with a contact, the 网站标识码, the
ICP filing number linked to the MIIT register and the 公安机关 filing number linked to the MPS
register, a 网站地图 and the 我为政府网站找错 entry (the State Council's error-report platform).
The CMS passes ``GOVSITE_IDENTITY`` in ``BuildConfig.portal["identity"]``; a mark without data is
left out rather than shown empty.
"""

from __future__ import annotations

import re
from urllib.parse import quote

ICP_REGISTER = "https://beian.miit.gov.cn/"
POLICE_REGISTER = "https://beian.mps.gov.cn/#/query/webSearch?code={code}"
ERROR_REPORT = "https://zfwzgl.www.gov.cn/exposure/jiucuo.html?site_code={site_code}&url={url}"

KEYS = ("sponsor", "organizer", "phone", "email", "address", "icp", "icp_url", "police", "police_url",
        "conac_url", "error_report_url")


def identity(portal: dict) -> dict[str, str]:
    """The identity marks of the portal with their links filled in (every key present, maybe "")."""
    given = portal.get("identity") or {}
    out = {k: str(given.get(k) or "").strip() for k in KEYS}
    out["sponsor"] = out["sponsor"] or str(portal.get("name") or "")
    if out["icp"] and not out["icp_url"]:
        out["icp_url"] = ICP_REGISTER
    if out["police"] and not out["police_url"]:
        digits = "".join(re.findall(r"\d+", out["police"]))
        out["police_url"] = POLICE_REGISTER.format(code=digits)
    site_code = str(portal.get("site_id_code") or "")
    if not out["error_report_url"] and site_code:
        home = str(portal.get("base_url") or "").rstrip("/") + "/"
        out["error_report_url"] = ERROR_REPORT.format(site_code=quote(site_code), url=quote(home, safe=""))
    return out
