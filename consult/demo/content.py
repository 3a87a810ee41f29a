"""The demo consultation: Istanbul's Migration and Social Cohesion Action Plan (see DOMAIN.md).

Texts are ``{"tr", "en", "ar"}`` dicts. Question codes are stable: scripts and tests use them.
Everything here is data; ``consult.services.demo`` turns it into rows.
"""

from __future__ import annotations


def t(tr: str, en: str, ar: str) -> dict[str, str]:
    """A text in Turkish, English and Arabic."""
    return {"tr": tr, "en": en, "ar": ar}


SLUG = "migration-action-plan"
LANGUAGES = ["tr", "en", "ar"]
DEFAULT_LANGUAGE = "tr"

CONSULTATION = {
    "title": t(
        "Göç ve Sosyal Uyum Eylem Planı 2020–2024",
        "Migration and Social Cohesion Action Plan 2020–2024",
        "خطة عمل الهجرة والتماسك الاجتماعي 2020–2024",
    ),
    "organiser": t(
        "İstanbul Büyükşehir Belediyesi, Göç Birimi",
        "Istanbul Metropolitan Municipality, Migration Unit",
        "بلدية إسطنبول الكبرى، وحدة الهجرة",
    ),
    "description": t(
        "Belediye hizmetlerine erişimde mültecilerin ve göçmenlerin önceliklerini birlikte "
        "belirliyoruz. Yanıtlarınız eylem planının dört hedefi altındaki eylemlerin "
        "sıralamasını şekillendirecek. Yaklaşık 10 dakika sürer.",
        "Together we are setting the priorities for refugees' and migrants' access to "
        "municipal services. Your answers shape the ranking of actions under the action plan's "
        "four objectives. It takes about 10 minutes.",
        "نحدّد معًا أولويات وصول اللاجئين والمهاجرين إلى الخدمات البلدية. ستُسهم إجاباتكم في "
        "ترتيب الإجراءات ضمن الأهداف الأربعة لخطة العمل. يستغرق الاستبيان نحو 10 دقائق.",
    ),
    "privacy_notice": t(
        "Yanıtlarınız yalnızca bu danışma sürecinin analizinde kullanılır. Yayımlanan "
        "sonuçlarda 5 kişiden küçük gruplar gösterilmez; kimliğiniz raporlarda yer almaz.",
        "Your answers are used only to analyse this consultation. Published results never "
        "show groups smaller than 5 people, and your identity never appears in reports.",
        "تُستخدم إجاباتكم فقط لتحليل هذه المشاورة. لا تُعرض في النتائج المنشورة أي مجموعة "
        "يقل عدد أفرادها عن 5 أشخاص، ولا تظهر هويتكم في التقارير.",
    ),
}

OBJECTIVES = [
    ("coordination", t("Koordinasyon", "Coordination", "التنسيق")),
    ("capacity", t("Kapasite geliştirme", "Capacity building", "بناء القدرات")),
    (
        "research",
        t("Araştırma ve veri toplama", "Research and data collection", "البحث وجمع البيانات"),
    ),
    ("cohesion", t("Sosyal uyum", "Social cohesion", "التماسك الاجتماعي")),
]

# (code, objective code, label)
ACTIONS = [
    (
        "advisory_board",
        "coordination",
        t(
            "STK'lar, akademisyenler ve öz örgütlerle sürekli bir göç danışma kurulu",
            "A standing migration advisory board with NGOs, academics and self-organizations",
            "مجلس استشاري دائم للهجرة يضم المنظمات غير الحكومية والأكاديميين "
            "ومنظمات اللاجئين الذاتية",
        ),
    ),
    (
        "district_coordination",
        "coordination",
        t(
            "İBB ile ilçe belediyeleri arasında bir koordinasyon mekanizması",
            "A coordination mechanism between IMM and district municipalities",
            "آلية تنسيق بين بلدية إسطنبول الكبرى وبلديات الأحياء",
        ),
    ),
    (
        "joint_fundraising",
        "coordination",
        t(
            "Uluslararası kuruluşlarla ortaklıklar ve ortak kaynak geliştirme",
            "Partnerships and joint fundraising with international organizations",
            "شراكات وجمع تمويل مشترك مع المنظمات الدولية",
        ),
    ),
    (
        "transfer_advocacy",
        "coordination",
        t(
            "Merkezi yönetim aktarımlarında mülteci nüfusunun sayılması için savunuculuk",
            "Advocacy for central-government transfers that count refugee populations",
            "المناصرة لكي تحتسب تحويلات الحكومة المركزية أعداد اللاجئين",
        ),
    ),
    (
        "staff_training",
        "capacity",
        t(
            "Belediye personeline göç mevzuatı ve koruma kuralları eğitimi",
            "Train municipal staff on migration legislation and protection rules",
            "تدريب موظفي البلدية على تشريعات الهجرة وقواعد الحماية",
        ),
    ),
    (
        "directorate",
        "capacity",
        t(
            "Göç Birimi'nin Göç ve Uyum Politikaları Müdürlüğü'ne dönüştürülmesi",
            "Expand the Migration Unit into a Directorate of Migration and Harmonization Policies",
            "توسيع وحدة الهجرة لتصبح مديرية لسياسات الهجرة والتكيّف",
        ),
    ),
    (
        "interpretation",
        "capacity",
        t(
            "Belediye hizmet noktalarında tercümanlık",
            "Interpretation at municipal service points",
            "توفير الترجمة الفورية في نقاط الخدمة البلدية",
        ),
    ),
    (
        "selforg_grants",
        "capacity",
        t(
            "Öz örgütlere küçük hibeler ve eğitim",
            "Small grants and training for self-organizations",
            "منح صغيرة وتدريب لمنظمات اللاجئين الذاتية",
        ),
    ),
    (
        "district_data",
        "research",
        t(
            "İlçe ve mahalle bazında yaş, cinsiyet ve sosyo-ekonomik veriler",
            "Age, gender and socio-economic data by district and neighbourhood",
            "بيانات العمر والجنس والوضع الاجتماعي والاقتصادي حسب المنطقة والحي",
        ),
    ),
    (
        "access_survey",
        "research",
        t(
            "Ev sahibi ve mülteci toplulukların belediye hizmetlerine erişimi üzerine "
            "düzenli bir anket",
            "A regular survey of host and refugee communities' access to municipal services",
            "مسح دوري لوصول المجتمع المضيف واللاجئين إلى الخدمات البلدية",
        ),
    ),
    (
        "service_map",
        "research",
        t(
            "İlçelere göre STK ve hizmet haritası",
            "A map of NGOs and services by district",
            "خريطة للمنظمات غير الحكومية والخدمات حسب المنطقة",
        ),
    ),
    (
        "data_report",
        "research",
        t(
            "Yıllık kamuya açık göç veri raporu",
            "An annual public migration data report",
            "تقرير سنوي علني عن بيانات الهجرة",
        ),
    ),
    (
        "anti_discrimination",
        "cohesion",
        t(
            "Ayrımcılık ve nefret söylemine karşı kampanyalar",
            "Campaigns against discrimination and hate speech",
            "حملات لمكافحة التمييز وخطاب الكراهية",
        ),
    ),
    (
        "neighbourhood_activities",
        "cohesion",
        t(
            "Mahallelerde birlikte yaşam etkinlikleri",
            "Neighbourhood co-existence activities",
            "أنشطة للعيش المشترك في الأحياء",
        ),
    ),
    (
        "rights_information",
        "cohesion",
        t(
            "Mültecilere kendi dillerinde hak temelli bilgilendirme",
            "Rights-based information for refugees in their own languages",
            "معلومات قائمة على الحقوق للاجئين بلغاتهم",
        ),
    ),
    (
        "accessible_services",
        "cohesion",
        t(
            "Tüm belediye hizmetlerinin mülteciler ve göçmenler için erişilebilir kılınması",
            "Make every municipal service accessible to refugees and migrants",
            "جعل كل الخدمات البلدية متاحة للاجئين والمهاجرين",
        ),
    ),
]

CHALLENGES = [
    (
        "budget_transfers",
        t(
            "Merkezi yönetim aktarımlarının mülteci nüfusunu hesaba katmaması",
            "Central-government transfers that ignore refugee populations",
            "تحويلات الحكومة المركزية التي لا تحتسب أعداد اللاجئين",
        ),
    ),
    (
        "hate_speech",
        t(
            "Ayrımcı yaklaşımlar ve nefret söylemi",
            "Discriminatory approaches and hate speech",
            "المقاربات التمييزية وخطاب الكراهية",
        ),
    ),
    (
        "negative_attitudes",
        t(
            "Yerel toplumun mültecilere ve göçmenlere karşı olumsuz tutumu",
            "Negative attitudes of the local community towards refugees and migrants",
            "المواقف السلبية للمجتمع المحلي تجاه اللاجئين والمهاجرين",
        ),
    ),
    (
        "legal_responsibilities",
        t(
            "Belediyelerin sorumluluklarına ilişkin mevzuattaki belirsizlik",
            "Unclear legislation on municipalities' responsibilities",
            "غموض التشريعات بشأن مسؤوليات البلديات",
        ),
    ),
    (
        "disaggregated_data",
        t(
            "İlçe ve mahalle bazında ayrıştırılmış veri eksikliği",
            "No data broken down by district and neighbourhood",
            "غياب البيانات المصنّفة حسب المنطقة والحي",
        ),
    ),
    (
        "no_prior_policy",
        t(
            "Geçmişte göç politikası çalışmasının olmaması",
            "No prior municipal policy work on migration",
            "غياب أي عمل سابق للبلدية في سياسات الهجرة",
        ),
    ),
]

# (code, name, share of the demo's respondents) — very unequal, as in the 2019 workshop
STAKEHOLDER_GROUPS = [
    ("district_municipality", t("İlçe belediyesi", "District municipality", "بلدية حي"), 30),
    ("national_ngo", t("Ulusal STK", "National NGO", "منظمة غير حكومية وطنية"), 28),
    ("international_ngo", t("Uluslararası STK", "International NGO", "منظمة غير حكومية دولية"), 18),
    (
        "donor",
        t("Uluslararası donör kuruluş", "International donor institution", "مؤسسة مانحة دولية"),
        6,
    ),
    ("academic", t("Akademisyen", "Academic", "أكاديمي"), 17),
    (
        "self_organization",
        t(
            "Öz örgüt (mülteci veya göçmenler tarafından yönetilen)",
            "Self-organization (refugee- or migrant-led)",
            "منظمة ذاتية (يقودها لاجئون أو مهاجرون)",
        ),
        12,
    ),
    ("public_institution", t("Kamu kurumu", "Public institution", "مؤسسة عامة"), 12),
]

# Istanbul districts with large refugee populations, plus the whole city; names in Arabic script
DISTRICTS = [
    ("esenyurt", t("Esenyurt", "Esenyurt", "إسنيورت")),
    ("kucukcekmece", t("Küçükçekmece", "Küçükçekmece", "كوتشوك تشكمجة")),
    ("bagcilar", t("Bağcılar", "Bağcılar", "باغجلار")),
    ("sultangazi", t("Sultangazi", "Sultangazi", "سلطان غازي")),
    ("fatih", t("Fatih", "Fatih", "الفاتح")),
    ("esenler", t("Esenler", "Esenler", "إسنلر")),
    ("basaksehir", t("Başakşehir", "Başakşehir", "باشاك شهير")),
    ("zeytinburnu", t("Zeytinburnu", "Zeytinburnu", "زيتين بورنو")),
    ("sultanbeyli", t("Sultanbeyli", "Sultanbeyli", "سلطان بيلي")),
    ("avcilar", t("Avcılar", "Avcılar", "أفجلار")),
    ("citywide", t("İstanbul geneli", "Istanbul-wide", "إسطنبول كلها")),
]

SEVERITY_SCALE = [
    t("Hiç ciddi değil", "Not severe", "غير خطير"),
    t("Az ciddi", "Slightly severe", "خطير قليلًا"),
    t("Orta derecede ciddi", "Moderately severe", "خطير بدرجة متوسطة"),
    t("Çok ciddi", "Very severe", "خطير جدًا"),
    t("Son derece ciddi", "Extremely severe", "خطير للغاية"),
]

PRIORITY_SCALE = [
    t("Öncelik değil", "Not a priority", "ليست أولوية"),
    t("Düşük öncelik", "Low priority", "أولوية منخفضة"),
    t("Orta öncelik", "Medium priority", "أولوية متوسطة"),
    t("Yüksek öncelik", "High priority", "أولوية عالية"),
    t("En yüksek öncelik", "Top priority", "أولوية قصوى"),
]

SECTIONS = [
    ("profile", t("Hakkınızda", "About you", "عنكم")),
    ("challenges", t("Zorluklar", "Challenges", "التحديات")),
    ("priorities", t("Öncelikler", "Priorities", "الأولويات")),
    ("comments", t("Görüşleriniz", "Your views", "آراؤكم")),
]

QUESTIONS = {
    "stakeholder_group": t(
        "Hangi paydaş grubunu temsil ediyorsunuz?",
        "Which stakeholder group do you represent?",
        "أي مجموعة من أصحاب المصلحة تمثّلون؟",
    ),
    "district": t(
        "Çoğunlukla hangi ilçede çalışıyorsunuz?",
        "In which district do you mostly work?",
        "في أي منطقة تعملون في الغالب؟",
    ),
    "challenge_severity": t(
        "Aşağıdaki zorluklar sizce ne kadar ciddi?",
        "How severe is each of these challenges, in your view?",
        "ما مدى خطورة كل من هذه التحديات برأيكم؟",
    ),
    "action_priority": t(
        "Belediye her bir eyleme ne kadar öncelik vermeli?",
        "How much priority should the municipality give each action?",
        "ما مقدار الأولوية التي ينبغي أن تعطيها البلدية لكل إجراء؟",
    ),
    "top5_actions": t(
        "Belediyenin ilk yapması gereken beş eylemi sıralayın (1 = en önemli).",
        "Rank the five actions the municipality should do first (1 = most important).",
        "رتّبوا الإجراءات الخمسة التي ينبغي أن تبدأ بها البلدية (1 = الأهم).",
    ),
    "comments": t(
        "Belediyenin bilmesi gereken başka bir şey var mı?",
        "Is there anything else the municipality should know?",
        "هل هناك أي شيء آخر ينبغي أن تعرفه البلدية؟",
    ),
}

DONT_KNOW = t("Bilmiyorum", "Don't know", "لا أعرف")

# Plausible free-text comments for the synthetic responses (demo data only).
COMMENTS = {
    "tr": [
        "İlçe belediyeleriyle düzenli toplantılar çok faydalı olur.",
        "Tercüman eksikliği hizmet noktalarında en büyük sorun.",
        "Veriler ilçe bazında paylaşılmadan planlama yapamıyoruz.",
        "Nefret söylemine karşı yerel medya ile birlikte çalışılmalı.",
    ],
    "en": [
        "Joint fundraising would help us scale what already works.",
        "Please publish the data report in an open format.",
        "Self-organizations need core funding, not only project grants.",
    ],
    "ar": [
        "نحتاج إلى معلومات عن حقوقنا بلغتنا في كل مركز خدمة.",
        "المنح الصغيرة تساعد منظماتنا على الاستمرار.",
        "يجب إشراك المنظمات الذاتية في المجلس الاستشاري.",
    ],
}

# How much each group leans towards each action, beyond the shared baseline (demo data only).
GROUP_LEANINGS = {
    "district_municipality": {
        "district_coordination": 1.2,
        "transfer_advocacy": 1.4,
        "district_data": 0.6,
        "directorate": 0.4,
    },
    "national_ngo": {
        "advisory_board": 1.0,
        "anti_discrimination": 1.0,
        "service_map": 0.6,
        "rights_information": 0.5,
    },
    "international_ngo": {
        "joint_fundraising": 1.1,
        "access_survey": 0.7,
        "accessible_services": 0.6,
        "data_report": 0.5,
    },
    "donor": {
        "joint_fundraising": 1.3,
        "data_report": 1.0,
        "access_survey": 0.8,
        "directorate": 0.5,
    },
    "academic": {
        "district_data": 1.3,
        "access_survey": 1.1,
        "data_report": 0.9,
        "advisory_board": 0.4,
    },
    "self_organization": {
        "rights_information": 1.5,
        "selforg_grants": 1.6,
        "interpretation": 1.1,
        "anti_discrimination": 0.8,
        "transfer_advocacy": -0.6,
    },
    "public_institution": {
        "staff_training": 1.2,
        "directorate": 0.9,
        "district_coordination": 0.6,
        "selforg_grants": -0.5,
    },
}

# Shared baseline utility of each action (demo data only).
BASELINE = {
    "advisory_board": 0.3,
    "district_coordination": 0.5,
    "joint_fundraising": 0.1,
    "transfer_advocacy": 0.4,
    "staff_training": 0.6,
    "directorate": -0.2,
    "interpretation": 0.7,
    "selforg_grants": 0.0,
    "district_data": 0.4,
    "access_survey": 0.1,
    "service_map": -0.1,
    "data_report": -0.3,
    "anti_discrimination": 0.8,
    "neighbourhood_activities": 0.2,
    "rights_information": 0.6,
    "accessible_services": 0.9,
}

# Baseline severity of each challenge on the 1-5 scale, and group shifts (demo data only).
SEVERITY = {
    "budget_transfers": 3.9,
    "hate_speech": 4.0,
    "negative_attitudes": 3.7,
    "legal_responsibilities": 3.3,
    "disaggregated_data": 3.5,
    "no_prior_policy": 3.0,
}
SEVERITY_SHIFTS = {
    "district_municipality": {"budget_transfers": 0.8, "legal_responsibilities": 0.6},
    "self_organization": {"hate_speech": 0.8, "negative_attitudes": 0.9},
    "academic": {"disaggregated_data": 0.8},
    "public_institution": {"hate_speech": -0.4, "legal_responsibilities": 0.3},
}

# Language each group mostly answers in (demo data only): (tr, en, ar) probabilities.
GROUP_LANGUAGES = {
    "district_municipality": (0.95, 0.05, 0.0),
    "national_ngo": (0.85, 0.1, 0.05),
    "international_ngo": (0.3, 0.65, 0.05),
    "donor": (0.1, 0.9, 0.0),
    "academic": (0.75, 0.25, 0.0),
    "self_organization": (0.15, 0.1, 0.75),
    "public_institution": (1.0, 0.0, 0.0),
}
