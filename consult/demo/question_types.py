"""The second demo consultation: one question of every registered type, in tr/en/ar.

Anyone evaluating the platform, and the browser tests, use it to see every question type at
work. Each question's code is its type's name (``"ranking"`` is the ranking question), so tests
find them without guessing. The items are candidate actions and challenges of the migration
action plan (``consult.demo.content``). Everything here is data;
``consult.services.demo_question_types`` turns it into rows.
"""

from __future__ import annotations

from typing import Any

from consult.demo.content import DONT_KNOW, SEVERITY_SCALE, t

SLUG = "question-types"
LANGUAGES = ["tr", "en", "ar"]
DEFAULT_LANGUAGE = "tr"

CONSULTATION = {
    "title": t(
        "Tüm soru türleri: katılımcı anketinde bir tur",
        "Every question type: a tour of the participant survey",
        "جميع أنواع الأسئلة: جولة في استبيان المشاركين",
    ),
    "organiser": t(
        "Consult tanıtımı (İstanbul göç eylem planı teması)",
        "Consult demonstration (on the theme of Istanbul's migration action plan)",
        "عرض توضيحي لمنصة Consult (حول موضوع خطة عمل الهجرة في إسطنبول)",
    ),
    "description": t(
        "Bu tanıtım danışması, Consult'un sunduğu her soru türünden bir örnek içerir ve "
        "İstanbul'un göç eylem planından alınmış eylemleri kullanır. Burada verdiğiniz yanıtlar "
        "hiçbir karar için kullanılmaz. Yaklaşık 10 dakika sürer.",
        "This demonstration consultation holds one question of every type that Consult offers, "
        "using actions from Istanbul's migration action plan. Nothing you answer here is used "
        "for any decision. It takes about 10 minutes.",
        "تضم هذه المشاورة التوضيحية سؤالًا واحدًا من كل نوع من أنواع الأسئلة التي تتيحها منصة "
        "Consult، باستخدام إجراءات مأخوذة من خطة عمل الهجرة في إسطنبول. لا تُستخدم إجاباتكم هنا "
        "في اتخاذ أي قرار. يستغرق الاستبيان نحو 10 دقائق.",
    ),
    "privacy_notice": t(
        "Bu bir tanıtımdır: yanıtlar yalnızca platformun nasıl çalıştığını göstermek için "
        "saklanır ve her an silinebilir. Lütfen kişisel bilgi girmeyin.",
        "This is a demonstration: answers are stored only to show how the platform works and "
        "may be deleted at any time. Please do not enter personal information.",
        "هذا عرض توضيحي: تُحفظ الإجابات فقط لبيان طريقة عمل المنصة، وقد تُحذف في أي وقت. "
        "يُرجى عدم إدخال أي معلومات شخصية.",
    ),
}

# Items, by their codes in consult.demo.content (labels and objectives come from there).
ACTIONS = [
    "advisory_board",
    "interpretation",
    "selforg_grants",
    "district_data",
    "anti_discrimination",
    "rights_information",
]
WEIGHED_ACTIONS = ["advisory_board", "interpretation", "district_data", "anti_discrimination"]
CHALLENGES = ["hate_speech", "legal_responsibilities", "disaggregated_data"]

IMPORTANCE_SCALE = [
    t("Önemli değil", "Not important", "غير مهم"),
    t("Biraz önemli", "Slightly important", "مهم قليلًا"),
    t("Orta derecede önemli", "Moderately important", "مهم بدرجة متوسطة"),
    t("Çok önemli", "Very important", "مهم جدًا"),
    t("Son derece önemli", "Extremely important", "مهم للغاية"),
]

# (code, title, description): one page each
SECTIONS = [
    (
        "choices",
        t("Seçimler", "Choices", "الاختيارات"),
        t(
            "Tek seçimli ve çok seçimli sorular.",
            "A single-choice and a multiple-choice question.",
            "سؤال باختيار واحد وسؤال باختيارات متعددة.",
        ),
    ),
    (
        "scales",
        t("Ölçekler", "Scales", "المقاييس"),
        t(
            "Bir derecelendirme ölçeği ve aynı ölçekle birkaç satırı değerlendiren bir tablo.",
            "A rating scale, and a table that rates several rows on one scale.",
            "مقياس تقييم، وجدول يقيّم عدة صفوف على المقياس نفسه.",
        ),
    ),
    (
        "comparisons",
        t("Sıralamalar ve karşılaştırmalar", "Rankings and comparisons", "الترتيب والمقارنات"),
        t(
            "Eylemleri sıralayın, ikişer ikişer karşılaştırın ve küçük gruplar içinde en önemli "
            "ile en az önemli olanı seçin.",
            "Rank actions, compare them two at a time, and pick the most and the least "
            "important in small sets.",
            "رتّبوا الإجراءات، وقارنوا بينها اثنين اثنين، واختاروا الأكثر أهمية والأقل أهمية "
            "ضمن مجموعات صغيرة.",
        ),
    ),
    (
        "weights",
        t("Ağırlıklar", "Weights", "الأوزان"),
        t(
            "Bir eylemin diğerinden ne kadar daha önemli olduğunu belirtin ve bir puan "
            "bütçesini eylemler arasında paylaştırın.",
            "Say how much more one action matters than another, and share a budget of points "
            "among actions.",
            "حدّدوا بأي قدر يفوق إجراءٌ إجراءً آخر في الأهمية، ووزّعوا رصيدًا من النقاط على الإجراءات.",
        ),
    ),
    (
        "open",
        t("Sayılar ve kendi sözleriniz", "Numbers and your own words", "الأرقام وكلماتكم"),
        t(
            "Bir sayı, kısa bir yanıt ve ilk yanıtınıza bağlı olarak daha uzun bir yanıt.",
            "A number, a short answer and, depending on your first answer, a longer one.",
            "رقم، وإجابة قصيرة، وإجابة أطول بحسب إجابتكم الأولى.",
        ),
    ),
]

# The long-text question is shown only to those whose single-choice answer is "yes".
CONDITION_OPTION = "yes"

# One question per registered type, in the order shown. Keys of each entry: section, type
# (= code), required, text, help, settings, and options (choice questions: (code, label)),
# scale (rating scales: labels of points 1..5, "don't know" added), items (item codes),
# display_condition.
QUESTIONS: list[dict[str, Any]] = [
    {
        "section": "choices",
        "type": "single_choice",
        "required": True,
        "text": t(
            "Kuruluşunuz doğrudan mültecilerle veya göçmenlerle çalışıyor mu?",
            "Does your organisation work directly with refugees or migrants?",
            "هل تعمل منظمتكم مباشرةً مع اللاجئين أو المهاجرين؟",
        ),
        "help": t(
            "“Evet” yanıtını verirseniz son sayfada size bir soru daha sorulur.",
            "If you answer “Yes”, the last page asks you one more question.",
            "إذا أجبتم بـ«نعم»، فسيُطرح عليكم سؤال إضافي في الصفحة الأخيرة.",
        ),
        "options": [
            ("yes", t("Evet", "Yes", "نعم")),
            ("partly", t("Kısmen", "Partly", "جزئيًا")),
            ("no", t("Hayır", "No", "لا")),
        ],
    },
    {
        "section": "choices",
        "type": "multiple_choice",
        "required": True,
        "text": t(
            "Belediye bilgilendirmeleri Türkçenin yanı sıra hangi dillerde sunulmalı?",
            "Besides Turkish, in which languages should municipal information be available?",
            "بأي لغات ينبغي أن تتوفر معلومات البلدية إلى جانب اللغة التركية؟",
        ),
        "help": t(
            "Bir ile üç arasında dil seçin.",
            "Choose from one to three languages.",
            "اختاروا من لغة واحدة إلى ثلاث لغات.",
        ),
        "settings": {"min_select": 1, "max_select": 3},
        "options": [
            ("arabic", t("Arapça", "Arabic", "العربية")),
            ("persian", t("Farsça", "Persian", "الفارسية")),
            ("pashto", t("Peştuca", "Pashto", "البشتو")),
            ("english", t("İngilizce", "English", "الإنجليزية")),
            ("french", t("Fransızca", "French", "الفرنسية")),
        ],
    },
    {
        "section": "scales",
        "type": "rating",
        "required": True,
        "text": t(
            "Belediye hizmet noktalarında tercümanlık ne kadar önemli?",
            "How important is interpretation at municipal service points?",
            "ما مدى أهمية توفير الترجمة الفورية في نقاط الخدمة البلدية؟",
        ),
        "settings": {"scale_min": 1, "scale_max": 5, "dont_know": True},
        "scale": IMPORTANCE_SCALE,
        "items": ["interpretation"],
    },
    {
        "section": "scales",
        "type": "matrix",
        "required": True,
        "text": t(
            "Deneyiminize göre bu zorlukların her biri ne kadar ciddi?",
            "In your experience, how severe is each of these challenges?",
            "بحسب تجربتكم، ما مدى خطورة كل تحدٍّ من هذه التحديات؟",
        ),
        "settings": {"scale_min": 1, "scale_max": 5, "dont_know": True},
        "scale": SEVERITY_SCALE,
        "items": CHALLENGES,
    },
    {
        "section": "comparisons",
        "type": "ranking",
        "required": True,
        "text": t(
            "Bu eylemlerden en önemli üçünü sıralayın (1 = en önemli).",
            "Rank your top three of these actions (1 = most important).",
            "رتّبوا أهم ثلاثة إجراءات من بين هذه الإجراءات (1 = الأهم).",
        ),
        "help": t(
            "Üç farklı eyleme 1, 2 ve 3 sıralarını verin; diğerlerini sırasız bırakın.",
            "Give ranks 1, 2 and 3 to three different actions; leave the others unranked.",
            "أعطوا المراتب 1 و2 و3 لثلاثة إجراءات مختلفة، واتركوا البقية دون ترتيب.",
        ),
        "settings": {"top_k": 3},
        "items": ACTIONS,
    },
    {
        "section": "comparisons",
        "type": "pairwise",
        "required": False,
        "text": t(
            "Her çiftte hangi eylem önce gelmeli?",
            "In each pair, which action should come first?",
            "في كل زوج، أي الإجراءين ينبغي أن يأتي أولًا؟",
        ),
        "help": t(
            "Altı çift göreceksiniz. Seçemiyorsanız bunu da belirtebilirsiniz.",
            "You will see six pairs. If you cannot choose, you can say so.",
            "ستُعرض عليكم ستة أزواج. وإن لم تستطيعوا الاختيار، يمكنكم الإشارة إلى ذلك.",
        ),
        "settings": {"pairs": 6, "allow_tie": True},
        "items": ACTIONS,
    },
    {
        "section": "comparisons",
        "type": "best_worst",
        "required": False,
        "text": t(
            "Her grupta en önemli ve en az önemli eylem hangisi?",
            "In each set, which action is the most important and which the least important?",
            "في كل مجموعة، ما الإجراء الأكثر أهمية وما الإجراء الأقل أهمية؟",
        ),
        "help": t(
            "Dörder eylemden oluşan üç grup göreceksiniz. Her grupta en önemli ve en az önemli "
            "eylemi seçin.",
            "You will see three sets of four actions. In each set, choose the most important "
            "and the least important action.",
            "ستُعرض عليكم ثلاث مجموعات، في كل منها أربعة إجراءات. اختاروا في كل مجموعة الإجراء "
            "الأكثر أهمية والإجراء الأقل أهمية.",
        ),
        "settings": {"set_size": 4},
        "items": ACTIONS,
    },
    {
        "section": "weights",
        "type": "ahp",
        "required": False,
        "text": t(
            "Her çiftte hangi eylem daha önemli ve ne kadar daha önemli?",
            "In each pair, which action matters more, and how much more?",
            "في كل زوج، أي الإجراءين أكثر أهمية، وبأي قدر؟",
        ),
        "help": t(
            "“Eşit derecede önemli”den “son derece daha önemli”ye kadar (Saaty'nin 1–9 ölçeği).",
            "From “equally important” to “extremely more important” (Saaty's scale from 1 to 9).",
            "من «متساويان في الأهمية» إلى «أهم بدرجة قصوى» (مقياس ساعاتي من 1 إلى 9).",
        ),
        "settings": {"pairs": 6},
        "items": WEIGHED_ACTIONS,
    },
    {
        "section": "weights",
        "type": "points",
        "required": True,
        "text": t(
            "Her birinin sizin için önemine göre bu eylemler arasında 100 puan paylaştırın.",
            "Share 100 points among these actions according to how much each matters to you.",
            "وزّعوا 100 نقطة على هذه الإجراءات بحسب أهمية كل منها بالنسبة إليكم.",
        ),
        "help": t(
            "Tam sayılar kullanın; puanların toplamı tam olarak 100 olmalı.",
            "Use whole numbers; the points must add up to exactly 100.",
            "استخدموا أعدادًا صحيحة، ويجب أن يكون مجموع النقاط 100 تمامًا.",
        ),
        "settings": {"budget": 100},
        "items": WEIGHED_ACTIONS,
    },
    {
        "section": "open",
        "type": "number",
        "required": False,
        "text": t(
            "Kuruluşunuz geçen ay yaklaşık kaç mülteciye veya göçmene hizmet verdi?",
            "About how many refugees or migrants did your organisation serve last month?",
            "كم لاجئًا أو مهاجرًا قدّمت لهم منظمتكم خدماتها في الشهر الماضي تقريبًا؟",
        ),
        "help": t(
            "0 ile 100.000 arasında bir tam sayı; tahmini bir değer yeterli.",
            "A whole number from 0 to 100,000; an estimate is fine.",
            "عدد صحيح من 0 إلى 100000، ويكفي رقم تقديري.",
        ),
        "settings": {"min": 0, "max": 100_000, "integer": True},
    },
    {
        "section": "open",
        "type": "short_text",
        "required": False,
        "text": t(
            "Tek cümleyle: belediye ilk olarak ne yapmalı?",
            "In one sentence: what should the municipality do first?",
            "في جملة واحدة: ما أول ما ينبغي أن تفعله البلدية؟",
        ),
        "help": t(
            "En fazla 150 karakter.",
            "At most 150 characters.",
            "150 حرفًا كحد أقصى.",
        ),
        "settings": {"max_length": 150},
    },
    {
        "section": "open",
        "type": "long_text",
        "required": False,
        "text": t(
            "Mültecilerin veya göçmenlerin belediye hizmetlerini kullanırken karşılaştığı bir "
            "engeli ve bu engelin nasıl kaldırılabileceğini anlatın.",
            "Describe one barrier that refugees or migrants face when they use municipal "
            "services, and how it could be removed.",
            "صِفوا عائقًا يواجهه اللاجئون أو المهاجرون عند استخدام الخدمات البلدية، وكيف يمكن "
            "إزالته.",
        ),
        "help": t(
            "Kuruluşunuz doğrudan mültecilerle veya göçmenlerle çalıştığı için bu soru "
            "gösteriliyor. En fazla 1.000 karakter.",
            "You see this question because your organisation works directly with refugees or "
            "migrants. At most 1,000 characters.",
            "يظهر لكم هذا السؤال لأن منظمتكم تعمل مباشرةً مع اللاجئين أو المهاجرين. 1000 حرف "
            "كحد أقصى.",
        ),
        "settings": {"max_length": 1000},
        "display_condition": {"question": "single_choice", "equals": CONDITION_OPTION},
    },
]

__all__ = [
    "ACTIONS",
    "CHALLENGES",
    "CONDITION_OPTION",
    "CONSULTATION",
    "DEFAULT_LANGUAGE",
    "DONT_KNOW",
    "IMPORTANCE_SCALE",
    "LANGUAGES",
    "QUESTIONS",
    "SECTIONS",
    "SEVERITY_SCALE",
    "SLUG",
    "WEIGHED_ACTIONS",
]
