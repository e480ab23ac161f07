"""Fixed vocabularies of government information disclosure (政府信息公开).

Plain Python: the site generator and the search index use them without Django.
"""

# 主题分类: the 22 subject classes of the national disclosure catalogue.
TOPICS: tuple[str, ...] = (
    "综合政务", "国民经济管理、国有资产监管", "财政、金融、审计", "国土资源、能源",
    "农业、林业、水利", "工业、交通", "商贸、海关、旅游", "市场监管、安全生产监管",
    "城乡建设、环境保护", "科技、教育", "文化、广电、新闻出版", "卫生、体育",
    "人口与计划生育、妇女儿童工作", "劳动、人事、监察", "公安、安全、司法", "民政、扶贫、救灾",
    "民族、宗教", "对外事务", "港澳台侨工作", "国防", "统计", "其他",
)

# 信息类别: the usual columns of a county disclosure catalogue. Imports may bring others; they are kept.
CATEGORIES: tuple[str, ...] = (
    "政策文件", "政策解读", "法规规章", "规划计划", "通知公告", "工作动态", "财政资金",
    "人事信息", "行政许可", "应急管理", "统计信息", "年度报告", "建议提案办理",
)

# 有效性
VALID, EXPIRED, REPEALED = "有效", "失效", "废止"
VALIDITY: tuple[str, ...] = (VALID, EXPIRED, REPEALED)

# The category whose documents explain a policy (政策解读 → 政策文件).
INTERPRETATION_CATEGORY = "政策解读"

# 栏目类型 (ColumnType of the 《政府网站发展指引》's meta tags) and how long a column of each type may go
# without an update before the national inspection checklist (国办秘函〔2019〕19号) counts it as 不更新:
# 动态、要闻类 2 weeks; 通知公告、政策文件类 6 months; 人事、规划计划类 1 year. None: no period (the
# column is still checked for being empty). Deployments override the days per type
# (``GOVSITE_COLUMN_STALE_DAYS``).
COLUMN_NEWS, COLUMN_NOTICES, COLUMN_POLICIES = "动态要闻", "通知公告", "政策文件"
COLUMN_PERSONNEL, COLUMN_PLANS = "人事信息", "规划计划"
COLUMN_DISCLOSURE, COLUMN_INTERACTION, COLUMN_SERVICE = "信息公开", "互动交流", "办事服务"
COLUMN_ABOUT, COLUMN_SPECIAL, COLUMN_OTHER = "机构概况", "专题专栏", "其他"
COLUMN_TYPES: tuple[str, ...] = (
    COLUMN_NEWS, COLUMN_NOTICES, COLUMN_POLICIES, COLUMN_PERSONNEL, COLUMN_PLANS, COLUMN_DISCLOSURE,
    COLUMN_INTERACTION, COLUMN_SERVICE, COLUMN_ABOUT, COLUMN_SPECIAL, COLUMN_OTHER,
)
COLUMN_STALE_DAYS: dict[str, int | None] = {
    COLUMN_NEWS: 14, COLUMN_NOTICES: 183, COLUMN_POLICIES: 183, COLUMN_PERSONNEL: 365, COLUMN_PLANS: 365,
    COLUMN_DISCLOSURE: None, COLUMN_INTERACTION: None, COLUMN_SERVICE: None, COLUMN_ABOUT: None,
    COLUMN_SPECIAL: None, COLUMN_OTHER: None,
}
# The column type of a 信息类别 when no editor said otherwise.
CATEGORY_COLUMN_TYPES: dict[str, str] = {
    "政策文件": COLUMN_POLICIES, "政策解读": COLUMN_POLICIES, "法规规章": COLUMN_POLICIES,
    "规划计划": COLUMN_PLANS, "通知公告": COLUMN_NOTICES, "工作动态": COLUMN_NEWS, "人事信息": COLUMN_PERSONNEL,
}
# The home page fails the checklist when its newest item is older than this (首页栏目 2 周).
HOME_STALE_DAYS = 14
